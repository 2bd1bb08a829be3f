package io.pgmm.replication.commit;

import java.util.concurrent.CompletableFuture;

/**
 * The sidecar's client sessions, as conflict resolution needs them: a distributed transaction
 * replayed here may wait for a row that a local client's transaction holds and has not yet
 * prepared. That transaction is younger than any prepared one (it gets its prepare timestamp
 * later, from a clock that has seen the other's), so by the age rule it must give way.
 */
public interface LocalSessions {

  /** No client sessions here (tests, or a sidecar whose server has not started yet). */
  LocalSessions NONE = (pid, message) -> CompletableFuture.completedFuture(false);

  /**
   * Arms the session whose PostgreSQL backend is {@code backendPid} so that the query cancel about
   * to follow reaches its client as SQLSTATE 40001 with {@code message} (a retry will do), not as
   * 57014. A session whose client sits idle inside its block (where a cancel does nothing) fails
   * the block itself, which releases its locks. Completes with false when no client session of
   * this sidecar is in a transaction on that backend; the caller then cancels nothing.
   */
  CompletableFuture<Boolean> armWound(int backendPid, String message);
}
