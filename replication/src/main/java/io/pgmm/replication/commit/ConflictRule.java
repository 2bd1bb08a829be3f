package io.pgmm.replication.commit;

import io.pgmm.replication.Gid;

/**
 * Which of two distributed transactions that want the same rows wins (DESIGN, "Conflicts and
 * distributed deadlocks"): the older one by (prepareTs, origin node id), the same answer on every
 * node, so two nodes hammering one row never both abort.
 */
final class ConflictRule {

  private ConflictRule() {}

  /** True when transaction {@code a} (prepared at {@code aTs}) is older than {@code b}. */
  static boolean older(long aTs, Gid a, long bTs, Gid b) {
    return aTs != bTs ? aTs < bTs : a.originNode() < b.originNode();
  }
}
