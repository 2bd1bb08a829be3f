package io.pgmm.replication.commit;

import io.pgmm.replication.Gid;
import java.util.concurrent.CompletableFuture;

/**
 * What a client session needs from the commit protocol. The session prepares the client's
 * transaction locally under {@link #nextGid()}, then hands it over; the implementation ships the
 * decoded changes to every peer, collects votes, records the decision and commits or rolls back
 * the prepared transaction everywhere.
 */
public interface DistributedCommit {

  /** A gid never used before, also across restarts. */
  Gid nextGid();

  /**
   * Called after {@code PREPARE TRANSACTION} with {@code gid} succeeded on this node's PostgreSQL.
   * Completes once the client may be told the outcome; never completes exceptionally.
   */
  CompletableFuture<CommitOutcome> commit(Gid gid);

  /**
   * Completes when every distributed transaction that this node held as precommitted before the
   * call is decided and, if committed, committed here (global read consistency): a client hears
   * COMMIT only once every node holds the PreCommit, so a transaction that begins afterwards
   * anywhere waits for it. Completes at once when none is in flight.
   */
  CompletableFuture<Void> awaitPrecommitted();

  /**
   * Runs on every peer, each on its own, a statement that PostgreSQL cannot run in a transaction
   * block (CREATE INDEX CONCURRENTLY) and that already succeeded here, given in the apply's DDL
   * message format (search_path, role, SQL). Completes with one line per peer where it failed
   * (empty when it ran everywhere); never exceptionally.
   */
  CompletableFuture<java.util.List<String>> runOnPeers(String ddlMessage);

  /** Whether writes can be accepted now; a message naming the unreachable peers otherwise. */
  String unavailableReason();
}
