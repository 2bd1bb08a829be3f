package io.pgmm.replication.commit;

import io.pgmm.replication.Gid;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Distributed transactions precommitted here and not yet committed or rolled back here: what a
 * global read waits for. Not every prepared one: a transaction still collecting votes cannot have
 * been acknowledged to anyone, and one stuck behind a conflict must not hold up every new
 * transaction on the node (measured: that convoy dominated TPC-B latency).
 */
final class PrecommittedSet {

  private final Map<Gid, CompletableFuture<Void>> undecided = new ConcurrentHashMap<>();

  /** From the moment its client can hear COMMIT, a transaction that begins here waits for {@code gid}. */
  void hold(Gid gid) {
    undecided.putIfAbsent(gid, new CompletableFuture<>());
  }

  boolean holds(Gid gid) {
    return undecided.containsKey(gid);
  }

  /** {@code gid} is committed or rolled back here: readers waiting for it go on. */
  void decided(Gid gid) {
    CompletableFuture<Void> f = undecided.remove(gid);
    if (f != null) {
      f.complete(null);
    }
  }

  /** Completes when every transaction held at the time of the call is decided here. */
  CompletableFuture<Void> awaitAll() {
    if (undecided.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    return CompletableFuture.allOf(undecided.values().toArray(CompletableFuture[]::new));
  }
}
