package io.pgmm.replication.commit;

import io.pgmm.replication.Gid;
import java.util.concurrent.CompletableFuture;

/** What the coordinator needs from this node's PostgreSQL: replaying peers' transactions and deciding prepared ones. */
public interface LocalApply {

  /**
   * Starts replaying a peer's transaction once {@code after} completed; blocks while every apply
   * worker is busy and the queue is full.
   */
  Replay begin(Gid gid, CompletableFuture<?> after) throws InterruptedException;

  /** As {@link #begin}, but never blocks: null when every apply worker is busy and the queue is full. */
  Replay tryBegin(Gid gid, CompletableFuture<?> after) throws InterruptedException;

  /** COMMIT PREPARED or ROLLBACK PREPARED of {@code gid} here, on connections of their own; idempotent. */
  CompletableFuture<Void> decide(Gid gid, boolean commit);

  /**
   * Runs, outside any transaction, a statement PostgreSQL cannot run in a block (in the apply's
   * DDL message format: search_path, role, SQL); completes exceptionally with its error.
   */
  CompletableFuture<Void> runOutsideTransaction(String ddlMessage);

  /** One peer transaction being replayed. */
  interface Replay {
    /** One raw pgoutput message, in the origin's order. */
    void append(byte[] pgoutputMessage) throws InterruptedException;

    /** Replays the rest, records the gid and runs PREPARE TRANSACTION; never completes exceptionally. */
    CompletableFuture<VoteResult> prepare();

    /** Drops the replay; nothing stays prepared. */
    void abort();

    /**
     * Drops the replay if it has not been prepared here yet (its vote is then No); false when it
     * is prepared already: this node may have voted yes, and only its origin may abort it now.
     */
    boolean cancelUnprepared();
  }

  /** A node's vote on a transaction: yes, or no with the SQLSTATE and message the client will see. */
  record VoteResult(boolean yes, String sqlState, String message) {
    public static VoteResult yesVote() {
      return new VoteResult(true, null, null);
    }

    public static VoteResult no(String sqlState, String message) {
      return new VoteResult(false, sqlState, message);
    }
  }
}
