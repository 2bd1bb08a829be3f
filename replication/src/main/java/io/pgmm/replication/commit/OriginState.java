package io.pgmm.replication.commit;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * A distributed transaction as its origin sees it. No state may be skipped or revisited; the
 * table is the protocol: once PRECOMMITTING, the origin never aborts on its own.
 *
 * <pre>
 *  PREPARED ──capture done──► VOTING ──all yes──► PRECOMMITTING ──all acks──► COMMITTING ──► COMMITTED
 *     │                          │ no / timeout / peer lost    │ timeout: UNKNOWN ──late acks──┘
 *     │                          │                                               (resolution on timeout: UNKNOWN)
 *     └──────────────────────────┴──► ABORTING ──► ABORTED
 * </pre>
 */
enum OriginState {
  PREPARED,
  VOTING,
  PRECOMMITTING,
  COMMITTING,
  COMMITTED,
  ABORTING,
  ABORTED,
  UNKNOWN;

  private static final Map<OriginState, Set<OriginState>> NEXT = Map.of(
      PREPARED, EnumSet.of(VOTING, ABORTING),
      VOTING, EnumSet.of(PRECOMMITTING, ABORTING),
      PRECOMMITTING, EnumSet.of(COMMITTING, UNKNOWN),
      COMMITTING, EnumSet.of(COMMITTED, UNKNOWN),
      COMMITTED, EnumSet.noneOf(OriginState.class),
      ABORTING, EnumSet.of(ABORTED),
      ABORTED, EnumSet.noneOf(OriginState.class),
      UNKNOWN, EnumSet.of(COMMITTING)); // a precommit that timed out, once every node confirmed it

  boolean canMoveTo(OriginState next) {
    return NEXT.get(this).contains(next);
  }

  OriginState moveTo(OriginState next) {
    if (!canMoveTo(next)) {
      throw new IllegalStateException("illegal transition " + this + " -> " + next);
    }
    return next;
  }
}
