package io.pgmm.server.session;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The lifecycle of one client connection. One field, one transition table: a move that is not
 * in the table is a bug and fails loudly.
 *
 * <pre>
 *   AWAITING_STARTUP ──SSLRequest──► TLS_HANDSHAKE ──► AWAITING_STARTUP
 *        │ StartupMessage
 *        ▼
 *   CONNECTING_BACKEND ──► AUTHENTICATING ──ReadyForQuery──► ACTIVE
 *        └───────────────────────┴──────────────────────────────┴──► CLOSED
 * </pre>
 */
public enum SessionState {
  AWAITING_STARTUP,
  TLS_HANDSHAKE,
  CONNECTING_BACKEND,
  AUTHENTICATING,
  ACTIVE,
  CLOSED;

  private static final Map<SessionState, Set<SessionState>> LEGAL = Map.of(
      AWAITING_STARTUP, EnumSet.of(TLS_HANDSHAKE, CONNECTING_BACKEND, CLOSED),
      TLS_HANDSHAKE, EnumSet.of(AWAITING_STARTUP, CLOSED),
      CONNECTING_BACKEND, EnumSet.of(AUTHENTICATING, CLOSED),
      AUTHENTICATING, EnumSet.of(ACTIVE, CLOSED),
      ACTIVE, EnumSet.of(CLOSED),
      CLOSED, EnumSet.noneOf(SessionState.class));

  /** Returns {@code next} if moving there from this state is legal, else throws. */
  public SessionState moveTo(SessionState next) {
    if (!LEGAL.get(this).contains(next)) {
      throw new IllegalStateException("illegal session transition " + this + " -> " + next);
    }
    return next;
  }
}
