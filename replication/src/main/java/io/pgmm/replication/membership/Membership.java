package io.pgmm.replication.membership;

/**
 * Who votes on a transaction: the one source of membership for the commit path. A transaction
 * prepares in the generation {@link #current()} names and needs the votes of exactly that view's
 * nodes (DESIGN, "Membership"). Today the view comes from each node's config and never changes
 * ({@link StaticMembership}); the Raft group will stand behind this interface next.
 */
public interface Membership {

  /** The view new transactions prepare in. */
  MembershipView current();
}
