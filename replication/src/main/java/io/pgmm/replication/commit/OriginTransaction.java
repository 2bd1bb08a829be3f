package io.pgmm.replication.commit;

import io.pgmm.replication.Gid;
import io.pgmm.replication.membership.MembershipView;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;

/** One of this node's transactions in the commit protocol, as {@link OriginCoordinator} drives it. */
final class OriginTransaction {
  final Gid gid;
  /** The generation it prepares in, and so the nodes that must vote on it: fixed when it is first seen. */
  final MembershipView view;
  final CompletableFuture<CommitOutcome> outcome = new CompletableFuture<>();
  final ByteArrayOutputStream chunk = new ByteArrayOutputStream();
  final Map<Integer, Long> yesVotes = new HashMap<>();
  final Set<Integer> precommitAcks = new TreeSet<>();
  volatile OriginState state = OriginState.PREPARED;
  /** The session has called {@link CommitCoordinator#commit}: once decided, nobody else needs the entry. */
  volatile boolean claimed;
  volatile long prepareTs;
  final long createdNanos;
  volatile long lastProgressNanos;
  /**
   * The pending check for a timeout, cancelled (and removed) once the transaction is past voting:
   * left to run, each one woke the timer thread once per transaction, 30 s later, for nothing.
   */
  volatile ScheduledFuture<?> timeout;
  // when stages began, for the timings
  volatile long beginPrepareNanos;
  volatile long preparedNanos;
  volatile long precommitNanos;
  volatile long commitNanos;
  long commitTs;
  int chunksSent;
  boolean beginSent;
  /** UNKNOWN because a node did not confirm the PreCommit in time: its confirmation still commits it. */
  boolean precommitTimedOut;

  OriginTransaction(Gid gid, MembershipView view, long nowNanos) {
    this.gid = gid;
    this.view = view;
    this.createdNanos = nowNanos;
    this.lastProgressNanos = nowNanos;
  }

  Set<Integer> peers() {
    return view.peers().keySet();
  }

  long generation() {
    return view.generation();
  }

  /** How errors name {@code peer}: {@code node 2 (host:port)}. */
  String name(int peer) {
    MembershipView.Member m = view.nodes().get(peer);
    return "node " + peer + (m == null ? "" : " (" + m.name() + ")");
  }

  /** Precommitted, and waiting for the nodes to confirm it (also past the timeout). Call holding the lock. */
  boolean awaitsPrecommitAcks() {
    return state == OriginState.PRECOMMITTING || state == OriginState.UNKNOWN && precommitTimedOut;
  }

  /** This transaction's peers not among {@code answered}, in order. */
  List<Integer> peersNotIn(Set<Integer> answered) {
    List<Integer> missing = new ArrayList<>();
    for (int peer : peers()) {
      if (!answered.contains(peer)) {
        missing.add(peer);
      }
    }
    return missing;
  }
}
