package io.pgmm.replication.commit;

import io.pgmm.replication.Gid;
import io.pgmm.replication.clock.HybridLogicalClock;
import io.pgmm.replication.log.DecisionLog;
import io.pgmm.replication.log.DecisionRecord;
import io.pgmm.replication.membership.Membership;
import io.pgmm.replication.transport.PeerMessage;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node as a voter on its peers' transactions: replays them (one {@link PeerFeeder} per
 * peer), votes, records PreCommits and carries out decisions. A decision is acknowledged only
 * once it took effect here; one that failed is retried, so a transaction never stays prepared
 * here because one COMMIT PREPARED met a transient error.
 */
final class VoterCoordinator {

  private static final Logger log = LoggerFactory.getLogger(VoterCoordinator.class);
  private static final long DECISION_RETRY_MAX_MILLIS = 5_000;

  private final int selfNode;
  private final HybridLogicalClock clock;
  private final DecisionLog decisionLog;
  private final LocalApply apply;
  private final Membership membership;
  private final ScheduledExecutorService timers;
  private final LongSupplier nanoTime;
  private final Supplier<PeerLink> link;
  private final PrecommittedSet precommitted;
  private final StageTimings timings;
  private final Map<Gid, PeerTransaction> applied = new ConcurrentHashMap<>();
  private final Map<Integer, PeerFeeder> feeders = new ConcurrentHashMap<>();
  /**
   * Peers' transactions decided to roll back while messages of theirs may still wait in a feeder's
   * queue, with the feeder and how many messages it had taken in by then. Once the feeder has
   * handled that many, no message of the transaction can come any more (its origin sends none after
   * the decision) and the entry goes: kept for good, it grew with every conflict.
   */
  private final Map<Gid, FeederMark> tombstones = new ConcurrentHashMap<>();
  private volatile boolean closed;

  VoterCoordinator(int selfNode, HybridLogicalClock clock, DecisionLog decisionLog, LocalApply apply,
      Membership membership, ScheduledExecutorService timers, LongSupplier nanoTime, Supplier<PeerLink> link,
      PrecommittedSet precommitted, StageTimings timings) {
    this.selfNode = selfNode;
    this.clock = clock;
    this.decisionLog = decisionLog;
    this.apply = apply;
    this.membership = membership;
    this.timers = timers;
    this.nanoTime = nanoTime;
    this.link = link;
    this.precommitted = precommitted;
    this.timings = timings;
    timers.scheduleWithFixedDelay(this::pruneTombstones, 10, 10, TimeUnit.SECONDS);
  }

  /** A message that belongs to a replay: in order, through the peer's feeder, or at once when that overtakes nothing. */
  void onReplayMessage(int peer, PeerMessage message) {
    if (closed) {
      return;
    }
    PeerFeeder feeder = feeders.computeIfAbsent(peer, p -> new PeerFeeder(p, link.get(), this::handle));
    if (!(message instanceof PeerMessage.Prepare p && tookAtOnce(feeder, peer, p))) {
      feeder.enqueue(message);
    }
  }

  /**
   * Starts a small transaction on the calling network thread, a thread switch fewer, when that
   * cannot block or overtake anything: nothing from this peer waits or is being handled, a worker
   * or queue place is free, and its changes are at most a chunk (a replay buffers megabytes before
   * {@code append} waits). False when the feeder must take it.
   */
  private boolean tookAtOnce(PeerFeeder feeder, int peer, PeerMessage.Prepare p) {
    if (!feeder.idle() || p.data().length > OriginCoordinator.CHUNK_BYTES) {
      return false;
    }
    try {
      if (!begin(peer, p.gid(), p.generation(), p.prepareTs(), false)) {
        return false;
      }
      chunk(p.gid(), p.data());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting " + p.gid(), e);
    }
    end(peer, p.gid());
    return true;
  }

  private void handle(int peer, PeerMessage m) throws InterruptedException {
    if (m instanceof PeerMessage.Prepare p) {
      begin(peer, p.gid(), p.generation(), p.prepareTs(), true);
      chunk(p.gid(), p.data());
      end(peer, p.gid());
    } else if (m instanceof PeerMessage.PrepareBegin b) {
      begin(peer, b.gid(), b.generation(), b.prepareTs(), true);
    } else if (m instanceof PeerMessage.ChangeChunk c) {
      chunk(c.gid(), c.data());
    } else if (m instanceof PeerMessage.PrepareEnd e) {
      end(peer, e.gid());
    } else {
      throw new IllegalArgumentException("not a replay message: " + m);
    }
  }

  /** False, having done nothing, when {@code mayWait} is false and the replay could not start without waiting. */
  private boolean begin(int peer, Gid gid, long txGeneration, long prepareTs, boolean mayWait)
      throws InterruptedException {
    clock.observe(prepareTs);
    long generation = membership.current().generation();
    String refusal = membership.writeRefusal();
    if (txGeneration != generation || refusal != null) {
      // Only the nodes of the generation it prepared in may decide a transaction (DESIGN, Membership).
      // Its chunks and end find nothing to replay and are dropped.
      send(peer, new PeerMessage.Vote(gid, selfNode, false, clock.now(), "57P03", refusal != null ? refusal
          : "node " + selfNode + " is in membership generation " + generation + ", the transaction prepared in "
              + txGeneration));
      return true;
    }
    if (!tombstones.containsKey(gid)) {
      // The origin's transactions precommitted here before this one arrived may have been
      // acknowledged to a client who then ran this one: it may need their rows or tables.
      CompletableFuture<Void> after = precommitted.awaitAll();
      LocalApply.Replay replay = mayWait ? apply.begin(gid, after) : apply.tryBegin(gid, after);
      if (replay == null) {
        return false;
      }
      applied.put(gid, new PeerTransaction(replay, prepareTs, nanoTime.getAsLong()));
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

  private void end(int peer, Gid gid) {
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

  /** Decisions never queue behind the replay of other transactions (they release its locks). */
  void onPreCommit(int peer, PeerMessage.PreCommit p) {
    clock.observe(p.commitTs());
    // Before the acknowledgement: from the moment its client can hear COMMIT, a transaction that
    // begins here waits for it to be committed here.
    if (!tombstones.containsKey(p.gid())) {
      precommitted.hold(p.gid());
    }
    decisionLog.append(new DecisionRecord.PreCommit(p.gid(), p.generation(), p.ballot(), p.commitTs()))
        .whenComplete((v, e) -> send(peer, new PeerMessage.PreCommitAck(p.gid(), selfNode, e == null)));
  }

  void onDecision(int peer, PeerMessage.Decision d) {
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
    prepared.handle((v, e) -> null).thenRun(() -> carryOut(peer, d, 1));
  }

  /**
   * COMMIT or ROLLBACK PREPARED here, then the acknowledgement; on failure, again after a pause,
   * until it works. A transaction that is neither prepared nor committed here (42704 on a commit)
   * will not appear by waiting: it is not acknowledged (its origin keeps the decision for
   * recovery) and no longer holds up global reads.
   */
  private void carryOut(int peer, PeerMessage.Decision d, int attempt) {
    apply.decide(d.gid(), d.commit()).whenComplete((v, e) -> {
      if (e == null) {
        // No Committed record here: pgmm.applied_xacts, committed in the same transaction, says so;
        // and the PreCommit is not needed any more (its origin keeps its own until every node acked).
        if (d.commit()) {
          decisionLog.forget(d.gid());
        }
        precommitted.decided(d.gid());
        send(peer, new PeerMessage.DecisionAck(d.gid(), selfNode));
        return;
      }
      Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
      String what = (d.commit() ? "COMMIT" : "ROLLBACK") + " PREPARED of " + d.gid();
      if (cause instanceof SQLException sql && "42704".equals(sql.getSQLState())) {
        log.error("{} cannot be carried out here: {}; not acknowledged", what, cause.getMessage());
        precommitted.decided(d.gid());
        return;
      }
      if (closed) {
        return;
      }
      long pauseMillis = Math.min(DECISION_RETRY_MAX_MILLIS, 50L << Math.min(attempt, 10));
      log.warn("{} failed here (attempt {}), again in {} ms: {}", what, attempt, pauseMillis, cause.toString());
      timers.schedule(() -> carryOut(peer, d, attempt + 1), pauseMillis, TimeUnit.MILLISECONDS);
    });
  }

  /** The prepare timestamp of a peer's {@code gid} replayed here, or 0. */
  long prepareTsOf(Gid gid) {
    PeerTransaction tx = applied.get(gid);
    return tx == null ? 0 : tx.prepareTs;
  }

  /**
   * Drops the replay of {@code gid} if it has not been prepared here yet (its vote is then No);
   * false when it is not replayed here or is prepared already.
   */
  boolean cancelUnprepared(Gid gid) {
    PeerTransaction tx = applied.get(gid);
    return tx != null && tx.replay.cancelUnprepared();
  }

  /** How many messages {@code feeder} had taken in when a tombstone was set. */
  private record FeederMark(PeerFeeder feeder, long enqueued) {
    boolean passed() {
      return feeder.handled.get() >= enqueued;
    }
  }

  int tombstonesHeld() {
    return tombstones.size();
  }

  /** Drops tombstones whose feeder has handled every message that could still name them. */
  private void pruneTombstones() {
    tombstones.values().removeIf(FeederMark::passed);
  }

  private void send(int peer, PeerMessage message) {
    link.get().send(peer, message);
  }

  void close() {
    closed = true;
    feeders.values().forEach(PeerFeeder::close);
  }
}
