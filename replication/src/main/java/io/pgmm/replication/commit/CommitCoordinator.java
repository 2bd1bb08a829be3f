package io.pgmm.replication.commit;

import io.pgmm.replication.Gid;
import io.pgmm.replication.capture.CaptureListener;
import io.pgmm.replication.clock.HybridLogicalClock;
import io.pgmm.replication.log.DecisionLog;
import io.pgmm.replication.log.DecisionRecord;
import io.pgmm.replication.membership.Membership;
import io.pgmm.replication.membership.MembershipView;
import io.pgmm.replication.transport.PeerMessage;
import io.pgmm.replication.transport.PeerMessageHandler;
import io.pgmm.replication.transport.PeerTransport;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The distributed commit (DESIGN, "The commit path", steps 3–6), both as the origin of this
 * node's transactions and as a peer voting on the others'.
 *
 * <pre>
 *  origin (this node)                                       each peer
 *  session: PREPARE TRANSACTION gid; commit(gid)
 *  capture: beginPrepare ── PrepareBegin ─────────────────► ApplyService.begin
 *           change*      ── ChangeChunk* (64 KiB) ────────► append
 *           prepared     ── PrepareEnd ───────────────────► prepare: PREPARE TRANSACTION gid
 *                        ◄──────────────────────── Vote ────
 *  all yes: commitTs = max(ts); log PreCommit (fsync)
 *                        ── PreCommit ────────────────────► log PreCommit (fsync)
 *                        ◄──────────────────── PreCommitAck
 *  all acks: COMMIT PREPARED here (the Decision goes out at the same time), client hears COMMIT
 *                        ── Decision ─────────────────────► COMMIT PREPARED
 *                        ◄──────────────────── DecisionAck     (all acks: the log may drop the PreCommit)
 *  a No, a timeout or an unreachable peer before PreCommit: ROLLBACK PREPARED everywhere.
 * </pre>
 *
 * <p>Who votes comes from {@link Membership}: every node of the view a transaction prepared in
 * must vote, and the view's generation travels with its messages. The view is read once, at
 * start (static membership); following view changes is the Raft issue's. The
 * origin's prepare timestamp and the peers' vote timestamps come from the hybrid logical clock;
 * commitTs is their maximum.
 */
public final class CommitCoordinator implements DistributedCommit, CaptureListener, PeerMessageHandler, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(CommitCoordinator.class);
  /** Changes are shipped in chunks of about this size: big enough to amortise, small enough to stream. */
  static final int CHUNK_BYTES = 64 * 1024;
  private static final int PEER_QUEUE_MESSAGES = 256;
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
  private volatile LongSupplier captureLastMessageNanos = () -> Long.MIN_VALUE / 2; // "long ago" until watched
  private final Set<Integer> peers;
  private final Map<Integer, String> peerNames;
  private final long generation;
  private PeerTransport transport;
  private final ScheduledThreadPoolExecutor timers = new ScheduledThreadPoolExecutor(1, r -> daemon(r, "pgmm-commit-timers"));
  private final Map<Gid, OriginTransaction> origin = new ConcurrentHashMap<>();
  private final Map<Gid, PeerTransaction> applied = new ConcurrentHashMap<>();
  /**
   * This node's transactions decided to commit that some node (this one included) has not yet
   * confirmed as committed: their PreCommit records stay in the decision log until every node has
   * (then the log may drop them; without that it grows with every transaction, in memory too). A
   * peer that never acknowledges (it went down) keeps its entries: recovery will need them. Sent
   * again whenever a connection with that peer comes up ({@link #onConnected}).
   */
  private final Map<Gid, Set<Integer>> awaitingDecisionAcks = new ConcurrentHashMap<>();
  /**
   * This node's rolled-back transactions that a peer has not confirmed rolling back: one it voted
   * yes on stays prepared there, holding its rows, until the rollback arrives. Sent again whenever
   * a connection with that peer comes up.
   */
  private final Map<Gid, Set<Integer>> awaitingRollbackAcks = new ConcurrentHashMap<>();
  private volatile boolean closed;
  /**
   * Distributed transactions precommitted here and not yet committed or rolled back here, for
   * global reads. Not every prepared one: a transaction still collecting votes cannot have been
   * acknowledged to anyone, and one stuck behind a conflict must not hold up every new
   * transaction on the node (measured: that convoy dominated TPC-B latency).
   */
  private final Map<Gid, CompletableFuture<Void>> undecided = new ConcurrentHashMap<>();
  private final Map<Integer, PeerFeeder> feeders = new HashMap<>();
  /**
   * Peers' transactions decided to roll back while messages of theirs may still wait in a feeder's
   * queue, with the feeder and how many messages it had taken in by then. Once the feeder has
   * handled that many, no message of the transaction can come any more (its origin sends none after
   * the decision) and the entry goes: kept for good, it grew with every conflict.
   */
  private final Map<Gid, FeederMark> tombstones = new ConcurrentHashMap<>();
  private final StageTimings timings = new StageTimings();
  private final PeerStatements statements;

  public CommitCoordinator(int selfNode, long incarnation, HybridLogicalClock clock, DecisionLog decisionLog,
      LocalApply apply, Duration prepareTimeout, Membership membership) {
    this.selfNode = selfNode;
    this.incarnation = incarnation;
    timers.setRemoveOnCancelPolicy(true);
    this.clock = clock;
    this.decisionLog = decisionLog;
    this.apply = apply;
    this.prepareTimeout = prepareTimeout;
    MembershipView view = membership.current();
    this.generation = view.generation();
    this.peers = Set.copyOf(view.peers().keySet());
    Map<Integer, String> names = new HashMap<>();
    view.peers().forEach((id, member) -> names.put(id, member.name()));
    this.peerNames = Map.copyOf(names);
    this.statements = new PeerStatements(selfNode, peerNames, () -> transport, apply);
    timers.scheduleWithFixedDelay(statements::failUnreachable, 1, 1, TimeUnit.SECONDS);
    timers.scheduleWithFixedDelay(this::pruneTombstones, 10, 10, TimeUnit.SECONDS);
    for (int peer : peers) {
      feeders.put(peer, new PeerFeeder(peer));
    }
  }

  /** The transport is built with this coordinator as its handler, so it is attached afterwards. */
  public void attach(PeerTransport transport) {
    this.transport = transport;
    feeders.values().forEach(PeerFeeder::start);
  }

  /**
   * Where to learn when capture last read anything from the slot ({@link System#nanoTime()}): a
   * transaction prepared here but not captured yet waits for capture, not for any peer, and
   * does not time out while capture is busy with the (perhaps large) transactions before it.
   */
  public void watchCapture(LongSupplier lastMessageNanos) {
    this.captureLastMessageNanos = lastMessageNanos;
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  // ---- DistributedCommit (sessions) ------------------------------------------------------

  @Override
  public CompletableFuture<List<String>> runOnPeers(String ddlMessage) {
    return statements.runOnPeers(nextGid(), ddlMessage);
  }

  @Override
  public Gid nextGid() {
    return new Gid(selfNode, incarnation, nextSeq.incrementAndGet());
  }

  @Override
  public CompletableFuture<CommitOutcome> commit(Gid gid) {
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

  /**
   * Forgets a decided transaction once its session has asked for the outcome: capture may decide
   * it (it saw the PREPARE first) before the session's {@link #commit} call arrives.
   */
  private void forget(OriginTransaction tx) {
    if (tx.claimed) {
      origin.remove(tx.gid);
    }
  }

  @Override
  public CompletableFuture<Void> awaitPrecommitted() {
    if (undecided.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    return CompletableFuture.allOf(undecided.values().toArray(CompletableFuture[]::new));
  }

  @Override
  public String unavailableReason() {
    List<String> down = new ArrayList<>();
    for (int peer : peers) {
      if (transport == null || !transport.isConnected(peer)) {
        down.add("node " + peer + " (" + peerNames.get(peer) + ")");
      }
    }
    return down.isEmpty() ? null : String.join(", ", down) + (down.size() == 1 ? " is" : " are")
        + " unreachable, and every node must vote on a write";
  }

  private OriginTransaction originOf(Gid gid) {
    return origin.computeIfAbsent(gid, g -> {
      OriginTransaction tx = new OriginTransaction(g);
      // Whichever comes first, the session or capture, starts the clock: a transaction nobody
      // drives to a decision (its session vanished) is rolled back rather than block global reads.
      tx.timeout = timers.schedule(() -> timeout(tx), prepareTimeout.toMillis(), TimeUnit.MILLISECONDS);
      return tx;
    });
  }

  // ---- CaptureListener (capture thread) --------------------------------------------------

  @Override
  public void beginPrepare(String gidText, long prepareLsn) throws InterruptedException {
    Gid gid = Gid.parseOrNull(gidText);
    if (gid == null) {
      return;
    }
    if (gid.incarnation() != incarnation) {
      // The slot sends again what an earlier run of this sidecar had not confirmed. Decided ones
      // are done; one still prepared is in doubt and only resolution with the peers may decide it
      // (rolling it back here could undo a commit the peers hold): never ship it as new.
      log.debug("{} is from an earlier run of node {}; not replicated again", gid, selfNode);
      return;
    }
    OriginTransaction tx = originOf(gid);
    synchronized (tx) {
      tx.beginPrepareNanos = System.nanoTime();
      tx.prepareTs = clock.now();
      tx.chunk.reset();
      tx.chunksSent = 0;
      tx.beginSent = false; // sent with the first full chunk, or never: a small transaction goes as one Prepare
    }
  }

  @Override
  public void change(String gidText, byte[] raw) throws InterruptedException {
    OriginTransaction tx = origin.get(Gid.parseOrNull(gidText));
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
    tx.lastProgressNanos = System.nanoTime();
    for (int peer : peers) {
      if (!tx.beginSent && !send(peer, new PeerMessage.PrepareBegin(tx.gid, generation, tx.prepareTs))
          || !awaitWritable(tx, peer) || !send(peer, chunk)) {
        if (tx.state == OriginState.PREPARED) {
          abort(tx, "57P03", transport.isConnected(peer)
              ? "pgmm: node " + peer + " (" + peerNames.get(peer) + ") took none of the transaction's changes for "
                  + prepareTimeout.toMillis() + " ms (busy replaying, or stuck); retry the transaction"
              : "pgmm lost node " + peer + " (" + peerNames.get(peer) + ") while replicating the transaction");
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
    long deadline = System.nanoTime() + prepareTimeout.toNanos();
    while (tx.state == OriginState.PREPARED && transport.isConnected(peer) && System.nanoTime() - deadline < 0) {
      if (transport.awaitWritable(peer, WRITABLE_WAIT_SLICE_MILLIS)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void prepared(String gidText, long prepareLsn, long endLsn) throws InterruptedException {
    OriginTransaction tx = origin.get(Gid.parseOrNull(gidText));
    if (tx == null || tx.state != OriginState.PREPARED) {
      return;
    }
    PeerMessage.Prepare whole = null;
    if (!tx.beginSent) {
      whole = new PeerMessage.Prepare(tx.gid, generation, tx.prepareTs, tx.chunk.toByteArray());
    } else if (tx.chunk.size() > 0) {
      shipChunk(tx);
    }
    synchronized (tx) {
      if (tx.state != OriginState.PREPARED) {
        return;
      }
      tx.state = tx.state.moveTo(OriginState.VOTING);
      tx.lastProgressNanos = System.nanoTime();
      tx.preparedNanos = tx.lastProgressNanos;
    }
    timings.record(StageTimings.Stage.SHIP, tx.beginPrepareNanos);
    for (int peer : peers) {
      if (!send(peer, whole != null ? whole : new PeerMessage.PrepareEnd(tx.gid, tx.chunksSent))) {
        abort(tx, "57P03", "pgmm lost node " + peer + " (" + peerNames.get(peer) + ") while replicating the transaction");
        return;
      }
    }
    maybePrecommit(tx);
  }

  @Override
  public void commitPrepared(String gid, long endLsn) {
    // The local COMMIT PREPARED reached the WAL; the slot may move past it.
  }

  @Override
  public void rollbackPrepared(String gid, long endLsn) {
  }

  @Override
  public void localCommitWithoutGid(long xid, long commitLsn) {
    log.warn("transaction {} committed on this node's PostgreSQL without the sidecar (direct connection, or CALL/DO"
        + " with its own COMMIT): its changes are NOT replicated and the nodes now differ", xid);
  }

  @Override
  public void foreignPrepare(String gid, long xid, long prepareLsn) {
    log.warn("transaction {} was prepared as '{}' directly on PostgreSQL: its changes are NOT replicated", xid, gid);
  }

  @Override
  public void streamRestarted() {
    // Transactions whose changes were being shipped when the stream broke cannot be completed
    // reliably: abort them (they were not acknowledged to anyone).
    for (OriginTransaction tx : origin.values()) {
      if (tx.state == OriginState.PREPARED && tx.prepareTs != 0) {
        abort(tx, "40001", "pgmm's change stream restarted while the transaction was being replicated; retry it");
      }
    }
  }

  // ---- votes and decisions ---------------------------------------------------------------

  private void maybePrecommit(OriginTransaction tx) {
    long commitTs;
    synchronized (tx) {
      // Not before the session has seen its PREPARE TRANSACTION complete: capture can decode the
      // flushed PREPARE record before PostgreSQL has marked the transaction prepared, and a COMMIT
      // PREPARED in between fails with "does not exist" (seen under load).
      if (tx.state != OriginState.VOTING || tx.yesVotes.size() < peers.size() || !tx.claimed) {
        return;
      }
      commitTs = tx.prepareTs;
      for (long ts : tx.yesVotes.values()) {
        commitTs = Math.max(commitTs, ts);
      }
      tx.commitTs = commitTs;
      tx.state = tx.state.moveTo(OriginState.PRECOMMITTING);
      tx.precommitNanos = System.nanoTime();
    }
    tx.timeout.cancel(false);
    tx.timeout = timers.schedule(() -> precommitTimeout(tx), prepareTimeout.toMillis(), TimeUnit.MILLISECONDS);
    undecided.putIfAbsent(tx.gid, new CompletableFuture<>());
    clock.observe(commitTs);
    // The origin's own record and the peers' are written at the same time: the quorum counts
    // the origin only once its record is durable, so nothing is lost by not waiting for it first,
    // and one fsync leaves the critical path.
    for (int peer : peers) {
      send(peer, new PeerMessage.PreCommit(tx.gid, generation, 0, commitTs));
    }
    decisionLog.append(new DecisionRecord.PreCommit(tx.gid, generation, 0, commitTs)).whenComplete((v, e) -> {
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
   * PreCommit acknowledgements needed before COMMIT PREPARED: every node, not only a majority.
   * A majority suffices for the decision to survive failures (DESIGN step 6), but global reads
   * rest on every node holding it before the client hears COMMIT (see {@link #undecided}); every
   * node has voted already, so waiting for all costs only the slower of parallel fsyncs.
   */
  private int precommitQuorum() {
    return peers.size() + 1;
  }

  private void maybeCommit(OriginTransaction tx) {
    synchronized (tx) {
      if (!tx.awaitsPrecommitAcks() || tx.precommitAcks.size() < precommitQuorum()) {
        return;
      }
      tx.state = tx.state.moveTo(OriginState.COMMITTING);
    }
    tx.timeout.cancel(false);
    timings.record(StageTimings.Stage.PRECOMMIT, tx.precommitNanos);
    tx.commitNanos = System.nanoTime();
    // Every node holds the PreCommit: the decision cannot change, so the peers commit alongside
    // this node rather than after it (a global read on a peer waits for that commit).
    Set<Integer> acks = ConcurrentHashMap.newKeySet();
    acks.addAll(peers);
    acks.add(selfNode);
    awaitingDecisionAcks.put(tx.gid, acks);
    for (int peer : peers) {
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
      decided(tx.gid);
      // No Committed record: the PreCommit says the decision, and pg_prepared_xacts whether it is done here.
      committedOn(tx.gid, selfNode);
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
      Set<Integer> acks = ConcurrentHashMap.newKeySet();
      acks.addAll(peers);
      awaitingRollbackAcks.put(tx.gid, acks);
      for (int peer : peers) {
        send(peer, new PeerMessage.Decision(tx.gid, false));
      }
      synchronized (tx) {
        tx.state = tx.state.moveTo(OriginState.ABORTED);
      }
      decided(tx.gid);
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
      silent = peersNotIn(tx.precommitAcks);
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

  /** The peers not among {@code answered}, in order. */
  private List<Integer> peersNotIn(Set<Integer> answered) {
    List<Integer> missing = new ArrayList<>();
    for (int peer : peers) {
      if (!answered.contains(peer)) {
        missing.add(peer);
      }
    }
    return missing;
  }

  /**
   * Times out on lack of progress, not on total time (DESIGN: large transactions): every chunk
   * shipped, the end of the changes and every vote restart the wait.
   */
  private void timeout(OriginTransaction tx) {
    long now = System.nanoTime();
    long idleNanos = now - tx.lastProgressNanos;
    if (tx.state == OriginState.PREPARED && now - tx.createdNanos < CAPTURE_WAIT_LIMIT * prepareTimeout.toNanos()) {
      // Not captured yet: the slot hands out transactions in order, and one before this one may
      // take minutes to decode and ship (a large one). That is progress too, within a limit (a
      // capture that keeps restarting on the same message reads too).
      idleNanos = Math.min(idleNanos, now - captureLastMessageNanos.getAsLong());
    }
    // Peers say nothing while they replay; after the last chunk they get time in proportion to
    // how much there was to replay, on top of the plain wait.
    long replayAllowanceNanos = tx.state == OriginState.VOTING ? TimeUnit.MILLISECONDS.toNanos(REPLAY_MILLIS_PER_CHUNK) * tx.chunksSent : 0;
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
        silent = peersNotIn(tx.yesVotes.keySet());
      }
      abort(tx, "40001", "pgmm: no vote from node(s) " + silent + " within " + prepareTimeout.toMillis()
          + " ms (a conflicting transaction on another node holds the rows, or a node is slow); retry the transaction");
    }
  }

  /** {@code node} committed this node's {@code gid}; once every node has, its PreCommit record may go. */
  private void committedOn(Gid gid, int node) {
    if (lastAck(awaitingDecisionAcks, gid, node)) {
      decisionLog.forget(gid);
    }
  }

  /** {@code node} has carried out this node's decision on {@code gid}, whichever it was. */
  private void decisionAcknowledged(Gid gid, int node) {
    committedOn(gid, node);
    lastAck(awaitingRollbackAcks, gid, node);
  }

  /** Takes {@code node} off the nodes {@code gid} waits for in {@code awaiting}; true when it was the last. */
  private static boolean lastAck(Map<Gid, Set<Integer>> awaiting, Gid gid, int node) {
    Set<Integer> waiting = awaiting.get(gid);
    return waiting != null && waiting.remove(node) && waiting.isEmpty() && awaiting.remove(gid) != null;
  }

  private void decided(Gid gid) {
    CompletableFuture<Void> f = undecided.remove(gid);
    if (f != null) {
      f.complete(null);
    }
  }

  private boolean send(int peer, PeerMessage message) {
    return transport != null && transport.send(peer, message);
  }

  // ---- conflicts ---------------------------------------------------------------------------

  /**
   * The apply of {@code waiting} waits for a row of {@code holder} (prepared, or being replayed):
   * the older of the two wins at once, the same way on every node (DESIGN, conflicts). A holder
   * precommitted here is about to commit and free the row: then the waiter waits. Called by the
   * {@link DeadlockResolver}.
   */
  void resolveConflict(Gid waiting, Gid holder) {
    if (undecided.containsKey(holder)) {
      return;
    }
    long waitingTs = prepareTsOf(waiting);
    long holderTs = prepareTsOf(holder);
    if (waitingTs == 0 || holderTs == 0) {
      return; // the ages are unknown here: the apply's lock timeout decides
    }
    if (!older(waitingTs, waiting, holderTs, holder)) {
      // The younger gives way now rather than after its lock timeout: the older may itself wait for
      // rows the younger holds on another node, and nothing else would end that wait sooner.
      PeerTransaction younger = applied.get(waiting);
      if (younger != null) {
        younger.replay.cancelUnprepared();
      }
      return;
    }
    if (holder.originNode() == selfNode) {
      wound(holder, "an older transaction (" + waiting + ") changed the same rows");
      return;
    }
    // Being replayed here and not prepared yet: its No vote ends it at once everywhere. Prepared
    // here, it may have voted yes: only its origin may abort it.
    PeerTransaction replaying = applied.get(holder);
    if (replaying == null || !replaying.replay.cancelUnprepared()) {
      send(holder.originNode(), new PeerMessage.Wound(holder));
    }
  }

  private static boolean older(long aTs, Gid a, long bTs, Gid b) {
    return aTs != bTs ? aTs < bTs : a.originNode() < b.originNode();
  }

  private long prepareTsOf(Gid gid) {
    OriginTransaction own = origin.get(gid);
    if (own != null) {
      return own.prepareTs;
    }
    PeerTransaction peer = applied.get(gid);
    return peer == null ? 0 : peer.prepareTs;
  }

  /** Aborts this node's transaction {@code gid} for an older one, unless it is already past PreCommit. */
  private void wound(Gid gid, String why) {
    OriginTransaction tx = origin.get(gid);
    if (tx != null && (tx.state == OriginState.PREPARED || tx.state == OriginState.VOTING)) {
      abort(tx, "40001", "pgmm: write conflict with another node: " + why + "; retry the transaction");
    }
  }

  // ---- PeerMessageHandler (transport event loops) ----------------------------------------

  @Override
  public void onMessage(int fromNode, PeerMessage message) {
    if (message instanceof PeerMessage.RunStatement r) {
      statements.onRunStatement(fromNode, r);
    } else if (message instanceof PeerMessage.StatementDone d) {
      statements.onStatementDone(fromNode, d);
    } else if (message instanceof PeerMessage.Vote v) {
      OriginTransaction tx = origin.get(v.gid());
      if (tx == null) {
        return;
      }
      clock.observe(v.voterTs());
      if (v.yes()) {
        synchronized (tx) {
          tx.yesVotes.put(v.voterNode(), v.voterTs());
          tx.lastProgressNanos = System.nanoTime();
          if (tx.yesVotes.size() == peers.size()) {
            timings.record(StageTimings.Stage.VOTES, tx.preparedNanos);
          }
        }
        maybePrecommit(tx);
      } else {
        abort(tx, v.sqlState() == null ? "40001" : v.sqlState(), "node " + v.voterNode() + ": " + v.message());
      }
    } else if (message instanceof PeerMessage.PreCommitAck a) {
      OriginTransaction tx = origin.get(a.gid());
      if (tx != null && a.accepted()) {
        synchronized (tx) {
          tx.precommitAcks.add(a.voterNode());
        }
        maybeCommit(tx);
      }
    } else if (message instanceof PeerMessage.DecisionAck a) {
      decisionAcknowledged(a.gid(), a.voterNode());
    } else if (message instanceof PeerMessage.PreCommit p) {
      // Decisions never queue behind the replay of other transactions (they release its locks).
      onPreCommit(fromNode, p);
    } else if (message instanceof PeerMessage.Decision d) {
      onDecision(fromNode, d);
    } else if (message instanceof PeerMessage.Wound w) {
      wound(w.gid(), "node " + fromNode + " found an older transaction waiting for its rows");
    } else {
      PeerFeeder feeder = feeders.get(fromNode);
      if (feeder == null) {
        log.warn("message from unknown node {} dropped: {}", fromNode, message);
        return;
      }
      if (!(message instanceof PeerMessage.Prepare p && feeder.tookAtOnce(p))) {
        feeder.enqueue(message);
      }
    }
  }

  /**
   * Sends {@code node} again what it may have missed while a connection was down: PreCommits it has
   * not confirmed and decisions it has not acknowledged. Each is idempotent there (a decision
   * already carried out is acknowledged again), so a duplicate costs only a message.
   */
  @Override
  public void onConnected(int node) {
    if (closed || !peers.contains(node)) {
      return;
    }
    for (OriginTransaction tx : origin.values()) {
      long commitTs;
      synchronized (tx) {
        if (!tx.awaitsPrecommitAcks() || tx.precommitAcks.contains(node)) {
          continue;
        }
        commitTs = tx.commitTs;
      }
      send(node, new PeerMessage.PreCommit(tx.gid, generation, 0, commitTs));
    }
    resendDecisions(awaitingDecisionAcks, node, true);
    resendDecisions(awaitingRollbackAcks, node, false);
  }

  private void resendDecisions(Map<Gid, Set<Integer>> awaiting, int node, boolean commit) {
    awaiting.forEach((gid, waiting) -> {
      if (waiting.contains(node)) {
        send(node, new PeerMessage.Decision(gid, commit));
      }
    });
  }

  /**
   * Transactions whose changes or vote may have been lost with the connection are aborted now
   * rather than after the prepare timeout (the rollback reaches the node when it is back).
   */
  @Override
  public void onDisconnected(int node) {
    if (closed || !peers.contains(node)) {
      return;
    }
    for (OriginTransaction tx : origin.values()) {
      boolean lost;
      synchronized (tx) {
        lost = tx.state == OriginState.VOTING && !tx.yesVotes.containsKey(node)
            || tx.state == OriginState.PREPARED && tx.prepareTs != 0;
      }
      if (lost) {
        abort(tx, "57P03", "pgmm lost the connection with node " + node + " (" + peerNames.get(node)
            + ") while the transaction was being replicated; retry it");
      }
    }
  }

  /**
   * Replays one peer's transactions in the order its messages came, on a thread of its own so the
   * network threads never block on PostgreSQL. When {@value #PEER_QUEUE_MESSAGES} messages wait,
   * this node stops reading from that peer until half of them are done: a slow apply holds up its
   * peer through TCP, never a network thread (which serves other peers' votes and decisions too).
   */
  private final class PeerFeeder implements Runnable {
    private final int peer;
    private final BlockingQueue<PeerMessage> queue = new LinkedBlockingQueue<>();
    private final AtomicBoolean paused = new AtomicBoolean();
    final AtomicLong enqueued = new AtomicLong();
    final AtomicLong handled = new AtomicLong();
    private final Thread thread;

    PeerFeeder(int peer) {
      this.peer = peer;
      this.thread = daemon(this, "pgmm-apply-feeder-" + peer);
    }

    void start() {
      thread.start();
    }

    void enqueue(PeerMessage m) {
      queue.add(m);
      enqueued.incrementAndGet();
      if (queue.size() >= PEER_QUEUE_MESSAGES && paused.compareAndSet(false, true)) {
        transport.setReceiving(peer, false);
      }
    }

    @Override
    public void run() {
      while (!Thread.currentThread().isInterrupted()) {
        try {
          PeerMessage m = queue.take();
          if (queue.size() <= PEER_QUEUE_MESSAGES / 2 && paused.compareAndSet(true, false)) {
            transport.setReceiving(peer, true);
          }
          try {
            handle(m);
          } finally {
            handled.incrementAndGet();
          }
        } catch (InterruptedException e) {
          return;
        } catch (RuntimeException e) {
          log.error("applying a message from node {} failed", peer, e);
        }
      }
    }

    /**
     * Starts a small transaction on the calling network thread, a thread switch fewer, when that
     * cannot block or overtake anything: nothing from this peer waits or is being handled, a worker
     * or queue place is free, and its changes are at most a chunk (a replay buffers megabytes before
     * {@code append} waits). False when the feeder must take it.
     */
    boolean tookAtOnce(PeerMessage.Prepare p) {
      if (enqueued.get() != handled.get() || p.data().length > CHUNK_BYTES) {
        return false;
      }
      try {
        if (!begin(p.gid(), p.generation(), p.prepareTs(), false)) {
          return false;
        }
        chunk(p.gid(), p.data());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while starting " + p.gid(), e);
      }
      end(p.gid());
      return true;
    }

    private void handle(PeerMessage m) throws InterruptedException {
      if (m instanceof PeerMessage.Prepare p) {
        begin(p.gid(), p.generation(), p.prepareTs(), true);
        chunk(p.gid(), p.data());
        end(p.gid());
      } else if (m instanceof PeerMessage.PrepareBegin b) {
        begin(b.gid(), b.generation(), b.prepareTs(), true);
      } else if (m instanceof PeerMessage.ChangeChunk c) {
        chunk(c.gid(), c.data());
      } else if (m instanceof PeerMessage.PrepareEnd e) {
        end(e.gid());
      }
    }

    /** False, having done nothing, when {@code mayWait} is false and the replay could not start without waiting. */
    private boolean begin(Gid gid, long txGeneration, long prepareTs, boolean mayWait) throws InterruptedException {
      clock.observe(prepareTs);
      if (txGeneration != generation) {
        // Only the nodes of the generation it prepared in may decide a transaction (DESIGN, Membership).
        // Its chunks and end find nothing to replay and are dropped.
        send(peer, new PeerMessage.Vote(gid, selfNode, false, clock.now(), "57P03", "node " + selfNode
            + " is in membership generation " + generation + ", the transaction prepared in " + txGeneration));
        return true;
      }
      if (!tombstones.containsKey(gid)) {
        // The origin's transactions precommitted here before this one arrived may have been
        // acknowledged to a client who then ran this one: it may need their rows or tables.
        CompletableFuture<Void> after = awaitPrecommitted();
        LocalApply.Replay replay = mayWait ? apply.begin(gid, after) : apply.tryBegin(gid, after);
        if (replay == null) {
          return false;
        }
        applied.put(gid, new PeerTransaction(replay, prepareTs));
      }
      return true;
    }

    private void chunk(Gid gid, byte[] chunk) throws InterruptedException {
      PeerTransaction tx = applied.get(gid);
      if (tx == null) {
        return;
      }
      tx.changes.feed(chunk, tx.replay::append);
    }

    private void end(Gid gid) {
      PeerTransaction tx = applied.get(gid);
      if (tx != null && tombstones.containsKey(gid)) {
        applied.remove(gid);
        tx.replay.abort();
      } else if (tx != null) {
        if (!tx.changes.atBoundary()) {
          applied.remove(gid);
          tx.replay.abort();
          send(peer, new PeerMessage.Vote(gid, selfNode, false, clock.now(), "XX000",
              "node " + selfNode + " received the changes of " + gid + " cut off inside a change"));
          return;
        }
        tx.prepared = tx.replay.prepare().thenApply(vote -> {
          timings.record(StageTimings.Stage.APPLY, tx.startNanos);
          send(peer, new PeerMessage.Vote(gid, selfNode, vote.yes(), clock.now(),
              vote.yes() ? null : vote.sqlState(), vote.yes() ? null : vote.message()));
          return vote;
        });
      }
    }
  }

  private void onPreCommit(int peer, PeerMessage.PreCommit p) {
    clock.observe(p.commitTs());
    // Before the acknowledgement: from the moment its client can hear COMMIT, a transaction that
    // begins here waits for it to be committed here.
    if (!tombstones.containsKey(p.gid())) {
      undecided.putIfAbsent(p.gid(), new CompletableFuture<>());
    }
    decisionLog.append(new DecisionRecord.PreCommit(p.gid(), p.generation(), p.ballot(), p.commitTs()))
        .whenComplete((v, e) -> send(peer, new PeerMessage.PreCommitAck(p.gid(), selfNode, e == null)));
  }

  private void onDecision(int peer, PeerMessage.Decision d) {
    if (!d.commit()) {
      // A rollback may overtake the replay it ends (still queued for the feeder): the tombstone
      // makes the feeder drop it, so nothing stays prepared.
      PeerFeeder feeder = feeders.get(peer);
      if (feeder != null) {
        tombstones.put(d.gid(), new FeederMark(feeder, feeder.enqueued.get()));
      }
    }
    PeerTransaction tx = applied.remove(d.gid());
    CompletableFuture<?> prepared;
    if (tx == null) {
      prepared = CompletableFuture.completedFuture(null);
    } else if (d.commit()) {
      // This node voted yes, so its replay is prepared; the feeder may not have stored the future
      // of that vote yet (it sends the vote first): never abort here, wait for the same vote.
      prepared = tx.replay.prepare();
    } else if (tx.prepared == null) {
      tx.replay.abort();
      prepared = CompletableFuture.completedFuture(null);
    } else {
      prepared = tx.prepared;
    }
    prepared.handle((v, e) -> null).thenCompose(v -> apply.decide(d.gid(), d.commit())).whenComplete((v, e) -> {
      if (e != null) {
        log.error("decision {} on {} failed here: {}", d.commit() ? "COMMIT" : "ROLLBACK", d.gid(), e.toString());
      }
      // No Committed record here: pgmm.applied_xacts, committed in the same transaction, says so;
      // and the PreCommit is not needed any more (its origin keeps its own until every node acked).
      if (e == null && d.commit()) {
        decisionLog.forget(d.gid());
      }
      decided(d.gid());
      send(peer, new PeerMessage.DecisionAck(d.gid(), selfNode));
    });
  }

  /** How many messages {@code feeder} had taken in when a tombstone was set. */
  private record FeederMark(PeerFeeder feeder, long enqueued) {
    boolean passed() {
      return feeder.handled.get() >= enqueued;
    }
  }

  /** Rolled-back peer transactions whose tombstones are still kept. */
  public int tombstonesHeld() {
    return tombstones.size();
  }

  /** Drops tombstones whose feeder has handled every message that could still name them. */
  private void pruneTombstones() {
    tombstones.values().removeIf(FeederMark::passed);
  }

  /** A peer's transaction replayed here. */
  private static final class PeerTransaction {
    final LocalApply.Replay replay;
    final ChangeReassembler changes = new ChangeReassembler();
    final long prepareTs;
    final long startNanos = System.nanoTime();
    volatile CompletableFuture<LocalApply.VoteResult> prepared;

    PeerTransaction(LocalApply.Replay replay, long prepareTs) {
      this.replay = replay;
      this.prepareTs = prepareTs;
    }
  }

  /** One of this node's transactions in the commit protocol. */
  private static final class OriginTransaction {
    final Gid gid;
    final CompletableFuture<CommitOutcome> outcome = new CompletableFuture<>();
    final ByteArrayOutputStream chunk = new ByteArrayOutputStream();
    final Map<Integer, Long> yesVotes = new HashMap<>();
    final Set<Integer> precommitAcks = new TreeSet<>();
    volatile OriginState state = OriginState.PREPARED;
    /** The session has called {@link CommitCoordinator#commit}: once decided, nobody else needs the entry. */
    volatile boolean claimed;
    volatile long prepareTs;
    final long createdNanos = System.nanoTime();
    volatile long lastProgressNanos = createdNanos;
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

    OriginTransaction(Gid gid) {
      this.gid = gid;
    }

    /** Precommitted, and waiting for the nodes to confirm it (also past the timeout). Call holding the lock. */
    boolean awaitsPrecommitAcks() {
      return state == OriginState.PRECOMMITTING || state == OriginState.UNKNOWN && precommitTimedOut;
    }
  }

  /** Where commits spent their time since the last call (see {@link StageTimings#drain}), or null. */
  public String drainTimings() {
    return timings.drain();
  }

  @Override
  public void close() {
    closed = true;
    timers.shutdownNow();
    feeders.values().forEach(f -> f.thread.interrupt());
  }
}
