package io.pgmm.replication.apply;

/**
 * The seam for an UPDATE or DELETE that matched no row. On a healthy cluster that happens when the row was
 * inserted (or moved to its key) by a transaction that is acknowledged but still prepared, not yet committed,
 * on this node: PostgreSQL does not wait for it, it just sees no row. The owner (the commit coordinator, which
 * knows the prepared, undecided pgmm transactions of this node) waits until every one prepared here before
 * {@code gid}'s Prepare arrived is decided, then returns true, and the statements that matched nothing run
 * again, in their order. It returns false when there was nothing to wait for: then the row is truly missing,
 * the nodes have diverged, and the apply votes No (XX000).
 *
 * <p>Called on an apply worker thread, with the apply's transaction open (holding its locks so far).
 */
@FunctionalInterface
public interface MissingRowHandler {

    /** Never waits: a missing row always means divergence. */
    MissingRowHandler NONE = gid -> false;

    boolean awaitEarlierPrepared(String gid) throws InterruptedException;
}
