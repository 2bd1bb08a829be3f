package io.pgmm.replication.membership;

/**
 * Who votes on a transaction: the one source of membership for the commit path. A transaction
 * prepares in the generation {@link #current()} names and needs the votes of exactly that view's
 * nodes (DESIGN, "Membership"). {@link StaticMembership} takes the view from the node's config;
 * the Raft group stands behind this interface in a cluster that survives failures.
 */
public interface Membership {

  /** The view new transactions prepare in. */
  MembershipView current();

  /**
   * Why this node may not take part in writes now (it is not ONLINE, or it cannot reach a majority),
   * naming what it sees; null when it may.
   */
  default String writeRefusal() {
    return null;
  }
}
