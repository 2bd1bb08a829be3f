package io.pgmm.replication.commit;

/** How a distributed commit ended, as the client will hear it. */
public sealed interface CommitOutcome {

  /** Committed on every node of the generation. */
  record Committed(long commitTs) implements CommitOutcome {}

  /** Rolled back everywhere before any PreCommit was sent; {@code sqlState} 40001 for conflicts, so drivers retry. */
  record Aborted(String sqlState, String message) implements CommitOutcome {}

  /**
   * A PreCommit was sent and then the origin lost track (timeout, lost majority): resolution will
   * decide; the client must not retry blindly (SQLSTATE 08007).
   */
  record Unknown(String message) implements CommitOutcome {}
}
