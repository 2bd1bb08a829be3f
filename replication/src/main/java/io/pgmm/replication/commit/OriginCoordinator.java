package io.pgmm.replication.commit;

import io.pgmm.replication.Gid;
import io.pgmm.replication.clock.HybridLogicalClock;
import io.pgmm.replication.log.DecisionLog;
import io.pgmm.replication.log.DecisionRecord;
import io.pgmm.replication.membership.Membership;
import io.pgmm.replication.transport.PeerMessage;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The origin's side of the distributed commit: this node's own transactions, from the captured
 * PREPARE to COMMIT PREPARED everywhere (the flow is drawn in {@link CommitCoordinator}).
 * A transaction needs the votes of exactly the nodes of the generation it was first seen in.
 */
final class OriginCoordinator {

  private static final Logger log = LoggerFactory.getLogger(OriginCoordinator.class);
  /** Changes are shipped in chunks of about this size: big enough to amortise, small enough to stream. */
  static final int CHUNK_BYTES = 64 * 1024;
  /** How often a wait for a peer's writability looks whether it should stop waiting. */
  private static final long WRITABLE_WAIT_SLICE_MILLIS = 1_000;
  private static final int LOCAL_COMMIT_ATTEMPTS = 20;
  /**
   * Replaying one 64 KiB chunk takes well under this, even on a loaded two-core machine (1 GiB:
   * about 5 ms a chunk, and peers take chunks as they come, so little is left after the last).
   * At 500 ms a 1 GiB transaction was allowed 2.3 hours of silence.
   */
  private static final long REPLAY_MILLIS_PER_CHUNK = 50;
  /** In prepare timeouts: how long a transaction not yet captured waits for a busy capture (10 min by default). */
  private static final long CAPTURE_WAIT_LIMIT = 20;

  private final int selfNode;
  private final long incarnation;
  private final AtomicLong nextSeq = new AtomicLong();
  private final HybridLogicalClock clock;
  private final DecisionLog decisionLog;
  private final LocalApply apply;
  private final Duration prepareTimeout;
  private final Membership membership;
  private final ScheduledExecutorService timers;
  private final LongSupplier nanoTime;
  private final Supplier<PeerLink> link;
  private final PrecommittedSet precommitted;
  private final StageTimings timings;
  private final DecisionResends resends;
  private final Map<Gid, OriginTransaction> origin = new ConcurrentHashMap<>();
  private volatile LongSupplier captureLastMessageNanos = () -> Long.MIN_VALUE / 2; // "long ago" until watched

  OriginCoordinator(int selfNode, long incarnation, HybridLogicalClock clock, DecisionLog decisionLog,
      LocalApply apply, Duration prepareTimeout, Membership membership, ScheduledExecutorService timers,
      LongSupplier nanoTime, Supplier<PeerLink> link, PrecommittedSet precommitted, StageTimings timings) {
    this.selfNode = selfNode;
    this.incarnation = incarnation;
    this.clock = clock;
    this.decisionLog = decisionLog;
    this.apply = apply;
    this.prepareTimeout = prepareTimeout;
    this.membership = membership;
    this.timers = timers;
    this.nanoTime = nanoTime;
    this.link = link;
    this.precommitted = precommitted;
    this.timings = timings;
    this.resends = new DecisionResends(decisionLog);
  }

  void watchCapture(LongSupplier lastMessageNanos) {
    this.captureLastMessageNanos = lastMessageNanos;
  }

  Gid nextGid() {
    return new Gid(selfNode, incarnation, nextSeq.incrementAndGet());
  }

  /** The session saw its PREPARE TRANSACTION complete and waits for the outcome. */
  CompletableFuture<CommitOutcome> commit(Gid gid) {
    OriginTransaction tx = originOf(gid);
    tx.claimed = true;
    timings.record(StageTimings.Stage.CLAIM, tx.preparedNanos);
    OriginState state = tx.state;
    if (state == OriginState.ABORTING || state == OriginState.ABORTED) {
      // Aborted (wounded, a No vote) before its session saw PREPARE TRANSACTION return: the
      // ROLLBACK PREPARED may have run before PostgreSQL marked the transaction prepared, found
      // nothing and left it behind (seen in the bank test). Now the PREPARE is done: roll back
      // once more; a transaction already gone is fine.
      tx.outcome.thenRun(() -> apply.decide(gid, false).whenComplete((v, e) -> {
        if (e != null) {
          log.warn("second ROLLBACK PREPARED of {} failed: {}", gid, e.toString());
        }
      }));
    }
    if (tx.outcome.isDone()) {
      origin.remove(gid);
    }
    maybePrecommit(tx);
    return tx.outcome;
  }

  /** The prepare timestamp of this node's {@code gid}, or 0 when it is not in flight here. */
  long prepareTsOf(Gid gid) {
    OriginTransaction tx = origin.get(gid);
    return tx == null ? 0 : tx.prepareTs;
  }

  /**
   * Forgets a decided transaction once its session has asked for the outcome: capture may decide
   * it (it saw the PREPARE first) before the session's {@link #commit} call arrives.
   */
  private void forget(OriginTransaction tx) {
    if (tx.claimed) {
      origin.remove(tx.gid);
    }
  }

  private OriginTransaction originOf(Gid gid) {
    return origin.computeIfAbsent(gid, g -> {
      OriginTransaction tx = new OriginTransaction(g, membership.current(), nanoTime.getAsLong());
      // Whichever comes first, the session or capture, starts the clock: a transaction nobody
      // drives to a decision (its session vanished) is rolled back rather than block global reads.
      tx.timeout = timers.schedule(() -> timeout(tx), prepareTimeout.toMillis(), TimeUnit.MILLISECONDS);
      return tx;
    });
  }

  // ---- capture (capture thread) ------------------------------------------------------------

  void beginPrepare(Gid gid) {
    if (gid.incarnation() != incarnation) {
      // The slot sends again what an earlier run of this sidecar had not confirmed. Decided ones
      // are done; one still prepared is in doubt and only resolution with the peers may decide it
      // (rolling it back here could undo a commit the peers hold): never ship it as new.
      log.debug("{} is from an earlier run of node {}; not replicated again", gid, selfNode);
      return;
    }
    OriginTransaction tx = originOf(gid);
    synchronized (tx) {
      tx.beginPrepareNanos = nanoTime.getAsLong();
      tx.prepareTs = clock.now();
      tx.chunk.reset();
      tx.chunksSent = 0;
      tx.beginSent = false; // sent with the first full chunk, or never: a small transaction goes as one Prepare
    }
  }

  void change(Gid gid, byte[] raw) throws InterruptedException {
    OriginTransaction tx = gid == null ? null : origin.get(gid);
    if (tx == null || tx.state != OriginState.PREPARED) {
      return;
    }
    write(tx, new byte[] {(byte) (raw.length >>> 24), (byte) (raw.length >>> 16), (byte) (raw.length >>> 8),
        (byte) raw.length});
    write(tx, raw);
  }

  /**
   * Appends to the pending chunk and ships it each time it is full. Chunks are cut wherever
   * {@link #CHUNK_BYTES} falls, inside a change if need be: a change larger than a chunk (a row
   * with a value of megabytes) then streams like any other, where a chunk of its own would exceed
   * the peer frame limit ({@link PeerMessage#MAX_CHUNK_DATA_BYTES}; seen: a row with a 4 MB value
   * stopped capture for good). The peer joins the changes again ({@link ChangeReassembler}).
   */
  private void write(OriginTransaction tx, byte[] bytes) throws InterruptedException {
    int at = 0;
    while (at < bytes.length && tx.state == OriginState.PREPARED) {
      int n = Math.min(bytes.length - at, CHUNK_BYTES - tx.chunk.size());
      tx.chunk.write(bytes, at, n);
      at += n;
      if (tx.chunk.size() >= CHUNK_BYTES) {
        shipChunk(tx);
      }
    }
  }

  /** Sends the pending chunk to every peer, waiting while a peer's connection is full (bounded memory). */
  private void shipChunk(OriginTransaction tx) throws InterruptedException {
    byte[] data = tx.chunk.toByteArray();
    tx.chunk.reset();
    PeerMessage.ChangeChunk chunk = new PeerMessage.ChangeChunk(tx.gid, tx.chunksSent++, data);
    tx.lastProgressNanos = nanoTime.getAsLong();
    for (int peer : tx.peers()) {
      if (!tx.beginSent && !send(peer, new PeerMessage.PrepareBegin(tx.gid, tx.generation(), tx.prepareTs))
          || !awaitWritable(tx, peer) || !send(peer, chunk)) {
        if (tx.state == OriginState.PREPARED) {
          abort(tx, "57P03", link.get().isConnected(peer)
              ? "pgmm: " + tx.name(peer) + " took none of the transaction's changes for "
                  + prepareTimeout.toMillis() + " ms (busy replaying, or stuck); retry the transaction"
              : "pgmm lost " + tx.name(peer) + " while replicating the transaction");
        }
        return;
      }
    }
    tx.beginSent = true;
  }

  /**
   * Waits until the peer takes more of the transaction: its connection is writable again. A busy
   * peer stops reading while its replays catch up (backpressure), so the wait is as long as the
   * prepare timeout, not shorter; it ends early when the peer disconnects or the transaction is aborted.
   */
  private boolean awaitWritable(OriginTransaction tx, int peer) throws InterruptedException {
    long deadline = nanoTime.getAsLong() + prepareTimeout.toNanos();
    while (tx.state == OriginState.PREPARED && link.get().isConnected(peer) && nanoTime.getAsLong() - deadline < 0) {
      if (link.get().awaitWritable(peer, WRITABLE_WAIT_SLICE_MILLIS)) {
        return true;
      }
    }
    return false;
  }

  void prepared(Gid gid) throws InterruptedException {
    OriginTransaction tx = gid == null ? null : origin.get(gid);
    if (tx == null || tx.state != OriginState.PREPARED) {
      return;
    }
    PeerMessage.Prepare whole = null;
    if (!tx.beginSent) {
      whole = new PeerMessage.Prepare(tx.gid, tx.generation(), tx.prepareTs, tx.chunk.toByteArray());
    } else if (tx.chunk.size() > 0) {
      shipChunk(tx);
    }
    synchronized (tx) {
      if (tx.state != OriginState.PREPARED) {
        return;
      }
      tx.state = tx.state.moveTo(OriginState.VOTING);
      tx.lastProgressNanos = nanoTime.getAsLong();
      tx.preparedNanos = tx.lastProgressNanos;
    }
    timings.record(StageTimings.Stage.SHIP, tx.beginPrepareNanos);
    for (int peer : tx.peers()) {
      if (!send(peer, whole != null ? whole : new PeerMessage.PrepareEnd(tx.gid, tx.chunksSent))) {
        abort(tx, "57P03", "pgmm lost " + tx.name(peer) + " while replicating the transaction");
        return;
      }
    }
    maybePrecommit(tx);
  }

  /**
   * Transactions whose changes were being shipped when the stream broke cannot be completed
   * reliably: abort them (they were not acknowledged to anyone).
   */
  void streamRestarted() {
    for (OriginTransaction tx : origin.values()) {
      if (tx.state == OriginState.PREPARED && tx.prepareTs != 0) {
        abort(tx, "40001", "pgmm's change stream restarted while the transaction was being replicated; retry it");
      }
    }
  }

  // ---- votes and decisions (transport event loops) -----------------------------------------

  void onVote(PeerMessage.Vote v) {
    OriginTransaction tx = origin.get(v.gid());
    if (tx == null) {
      return;
    }
    clock.observe(v.voterTs());
    if (!v.yes()) {
      abort(tx, v.sqlState() == null ? "40001" : v.sqlState(), "node " + v.voterNode() + ": " + v.message());
      return;
    }
    synchronized (tx) {
      if (!tx.peers().contains(v.voterNode())) {
        return;
      }
      tx.yesVotes.put(v.voterNode(), v.voterTs());
      tx.lastProgressNanos = nanoTime.getAsLong();
      if (tx.yesVotes.size() == tx.peers().size()) {
        timings.record(StageTimings.Stage.VOTES, tx.preparedNanos);
      }
    }
    maybePrecommit(tx);
  }

  void onPreCommitAck(PeerMessage.PreCommitAck a) {
    OriginTransaction tx = origin.get(a.gid());
    if (tx != null && a.accepted()) {
      synchronized (tx) {
        tx.precommitAcks.add(a.voterNode());
      }
      maybeCommit(tx);
    }
  }

  void onDecisionAck(PeerMessage.DecisionAck a) {
    resends.acknowledged(a.gid(), a.voterNode());
  }

  /**
   * Sends {@code node} again what it may have missed while a connection was down: PreCommits it has
   * not confirmed and decisions it has not acknowledged. Each is idempotent there (a decision
   * already carried out is acknowledged again), so a duplicate costs only a message.
   */
  void onConnected(int node) {
    for (OriginTransaction tx : origin.values()) {
      long commitTs;
      synchronized (tx) {
        if (!tx.peers().contains(node) || !tx.awaitsPrecommitAcks() || tx.precommitAcks.contains(node)) {
          continue;
        }
        commitTs = tx.commitTs;
      }
      send(node, new PeerMessage.PreCommit(tx.gid, tx.generation(), 0, commitTs));
    }
    resends.resendTo(node, link.get());
  }

  /**
   * Transactions whose changes or vote may have been lost with the connection are aborted now
   * rather than after the prepare timeout (the rollback reaches the node when it is back).
   */
  void onDisconnected(int node) {
    for (OriginTransaction tx : origin.values()) {
      boolean lost;
      synchronized (tx) {
        lost = tx.peers().contains(node)
            && (tx.state == OriginState.VOTING && !tx.yesVotes.containsKey(node)
                || tx.state == OriginState.PREPARED && tx.prepareTs != 0);
      }
      if (lost) {
        abort(tx, "57P03", "pgmm lost the connection with " + tx.name(node)
            + " while the transaction was being replicated; retry it");
      }
    }
  }

  private void maybePrecommit(OriginTransaction tx) {
    long commitTs;
    synchronized (tx) {
      // Not before the session has seen its PREPARE TRANSACTION complete: capture can decode the
      // flushed PREPARE record before PostgreSQL has marked the transaction prepared, and a COMMIT
      // PREPARED in between fails with "does not exist" (seen under load).
      if (tx.state != OriginState.VOTING || tx.yesVotes.size() < tx.peers().size() || !tx.claimed) {
        return;
      }
      commitTs = tx.prepareTs;
      for (long ts : tx.yesVotes.values()) {
        commitTs = Math.max(commitTs, ts);
      }
      tx.commitTs = commitTs;
      tx.state = tx.state.moveTo(OriginState.PRECOMMITTING);
      tx.precommitNanos = nanoTime.getAsLong();
    }
    tx.timeout.cancel(false);
    tx.timeout = timers.schedule(() -> precommitTimeout(tx), prepareTimeout.toMillis(), TimeUnit.MILLISECONDS);
    precommitted.hold(tx.gid);
    clock.observe(commitTs);
    // The origin's own record and the peers' are written at the same time: the quorum counts
    // the origin only once its record is durable, so nothing is lost by not waiting for it first,
    // and one fsync leaves the critical path.
    for (int peer : tx.peers()) {
      send(peer, new PeerMessage.PreCommit(tx.gid, tx.generation(), 0, commitTs));
    }
    decisionLog.append(new DecisionRecord.PreCommit(tx.gid, tx.generation(), 0, commitTs)).whenComplete((v, e) -> {
      if (e != null) {
        unknown(tx, "pgmm could not record the commit decision durably: " + e);
        return;
      }
      synchronized (tx) {
        tx.precommitAcks.add(selfNode);
      }
      maybeCommit(tx);
    });
  }

  /**
   * PreCommit acknowledgements needed before COMMIT PREPARED: every node of the generation, not
   * only a majority. A majority suffices for the decision to survive failures (DESIGN step 6), but
   * global reads rest on every node holding it before the client hears COMMIT (see
   * {@link PrecommittedSet}); every node has voted already, so waiting for all costs only the
   * slower of parallel fsyncs.
   */
  private static int precommitQuorum(OriginTransaction tx) {
    return tx.peers().size() + 1;
  }

  private void maybeCommit(OriginTransaction tx) {
    synchronized (tx) {
      if (!tx.awaitsPrecommitAcks() || tx.precommitAcks.size() < precommitQuorum(tx)) {
        return;
      }
      tx.state = tx.state.moveTo(OriginState.COMMITTING);
    }
    tx.timeout.cancel(false);
    timings.record(StageTimings.Stage.PRECOMMIT, tx.precommitNanos);
    tx.commitNanos = nanoTime.getAsLong();
    // Every node holds the PreCommit: the decision cannot change, so the peers commit alongside
    // this node rather than after it (a global read on a peer waits for that commit).
    resends.decided(tx.gid, true, tx.view.nodes().keySet());
    for (int peer : tx.peers()) {
      send(peer, new PeerMessage.Decision(tx.gid, true));
    }
    commitLocally(tx, 1);
  }

  /** COMMIT PREPARED here, retried: once the nodes hold the PreCommit, the only way is forward. */
  private void commitLocally(OriginTransaction tx, int attempt) {
    apply.decide(tx.gid, true).whenComplete((v, e) -> {
      if (e != null) {
        if (attempt < LOCAL_COMMIT_ATTEMPTS) {
          log.warn("COMMIT PREPARED of {} failed (attempt {}), retrying: {}", tx.gid, attempt, e.getMessage());
          timers.schedule(() -> commitLocally(tx, attempt + 1), 100L * attempt, TimeUnit.MILLISECONDS);
          return;
        }
        unknown(tx, "pgmm could not COMMIT PREPARED " + tx.gid + " locally: " + e.getMessage());
        return;
      }
      synchronized (tx) {
        tx.state = tx.state.moveTo(OriginState.COMMITTED);
      }
      timings.record(StageTimings.Stage.COMMIT, tx.commitNanos);
      timings.record(StageTimings.Stage.TOTAL, tx.beginPrepareNanos);
      precommitted.decided(tx.gid);
      // No Committed record: the PreCommit says the decision, and pg_prepared_xacts whether it is done here.
      resends.acknowledged(tx.gid, selfNode);
      tx.outcome.complete(new CommitOutcome.Committed(tx.commitTs));
      forget(tx);
    });
  }

  private void abort(OriginTransaction tx, String sqlState, String message) {
    synchronized (tx) {
      if (!tx.state.canMoveTo(OriginState.ABORTING)) {
        return;
      }
      tx.state = tx.state.moveTo(OriginState.ABORTING);
    }
    tx.timeout.cancel(false);
    log.info("aborting {}: {}", tx.gid, message);
    apply.decide(tx.gid, false).whenComplete((v, e) -> {
      if (e != null) {
        log.warn("ROLLBACK PREPARED of {} failed: {}", tx.gid, e.toString());
      }
      resends.decided(tx.gid, false, tx.peers());
      for (int peer : tx.peers()) {
        send(peer, new PeerMessage.Decision(tx.gid, false));
      }
      synchronized (tx) {
        tx.state = tx.state.moveTo(OriginState.ABORTED);
      }
      precommitted.decided(tx.gid);
      tx.outcome.complete(new CommitOutcome.Aborted(sqlState, message));
      forget(tx);
    });
  }

  /**
   * A node has not confirmed the PreCommit in time (its connection broke, or it is down): the
   * client hears that the outcome is unknown rather than wait without end. The transaction stays
   * precommitted; the PreCommit goes again when the node connects, and once every node has it,
   * the transaction commits as usual.
   */
  private void precommitTimeout(OriginTransaction tx) {
    List<Integer> silent;
    synchronized (tx) {
      if (tx.state != OriginState.PRECOMMITTING) {
        return;
      }
      silent = tx.peersNotIn(tx.precommitAcks);
      tx.precommitTimedOut = true;
      tx.state = tx.state.moveTo(OriginState.UNKNOWN); // in the same lock as the check: a late ack may be arriving
    }
    reportUnknown(tx, "pgmm: node(s) " + silent + " did not confirm the commit decision within "
        + prepareTimeout.toMillis() + " ms; it commits on every node once they do");
  }

  private void unknown(OriginTransaction tx, String message) {
    synchronized (tx) {
      if (!tx.state.canMoveTo(OriginState.UNKNOWN)) {
        return;
      }
      tx.state = tx.state.moveTo(OriginState.UNKNOWN);
    }
    reportUnknown(tx, message);
  }

  /** Tells the client that {@code tx}, now UNKNOWN, has an outcome it cannot know yet. */
  private void reportUnknown(OriginTransaction tx, String message) {
    log.error("transaction {} is in doubt: {}", tx.gid, message);
    tx.outcome.complete(new CommitOutcome.Unknown(message + "; the transaction will be resolved, do not retry it blindly"));
  }

  /**
   * Times out on lack of progress, not on total time (DESIGN: large transactions): every chunk
   * shipped, the end of the changes and every vote restart the wait.
   */
  private void timeout(OriginTransaction tx) {
    long now = nanoTime.getAsLong();
    long idleNanos = now - tx.lastProgressNanos;
    if (tx.state == OriginState.PREPARED && now - tx.createdNanos < CAPTURE_WAIT_LIMIT * prepareTimeout.toNanos()) {
      // Not captured yet: the slot hands out transactions in order, and one before this one may
      // take minutes to decode and ship (a large one). That is progress too, within a limit (a
      // capture that keeps restarting on the same message reads too).
      idleNanos = Math.min(idleNanos, now - captureLastMessageNanos.getAsLong());
    }
    // Peers say nothing while they replay; after the last chunk they get time in proportion to
    // how much there was to replay, on top of the plain wait.
    long replayAllowanceNanos = tx.state == OriginState.VOTING
        ? TimeUnit.MILLISECONDS.toNanos(REPLAY_MILLIS_PER_CHUNK) * tx.chunksSent : 0;
    long leftNanos = prepareTimeout.toNanos() + replayAllowanceNanos - idleNanos;
    if (leftNanos > 0 && (tx.state == OriginState.PREPARED || tx.state == OriginState.VOTING)) {
      tx.timeout = timers.schedule(() -> timeout(tx), leftNanos, TimeUnit.NANOSECONDS);
      return;
    }
    if (tx.state == OriginState.PREPARED) {
      abort(tx, "40001", "pgmm: this node's change capture read nothing from its replication slot for "
          + prepareTimeout.toMillis() + " ms before it reached the transaction (the sidecar log says why); retry the"
          + " transaction");
      return;
    }
    if (tx.state == OriginState.VOTING) {
      List<Integer> silent;
      synchronized (tx) {
        silent = tx.peersNotIn(tx.yesVotes.keySet());
      }
      abort(tx, "40001", "pgmm: no vote from node(s) " + silent + " within " + prepareTimeout.toMillis()
          + " ms (a conflicting transaction on another node holds the rows, or a node is slow); retry the transaction");
    }
  }

  /** Aborts this node's transaction {@code gid} for an older one, unless it is already past PreCommit. */
  void wound(Gid gid, String why) {
    OriginTransaction tx = origin.get(gid);
    if (tx != null && (tx.state == OriginState.PREPARED || tx.state == OriginState.VOTING)) {
      abort(tx, "40001", "pgmm: write conflict with another node: " + why + "; retry the transaction");
    }
  }

  private boolean send(int peer, PeerMessage message) {
    return link.get().send(peer, message);
  }
}
