package io.pgmm.replication.commit;

import io.pgmm.replication.Gid;
import io.pgmm.replication.capture.CaptureListener;
import io.pgmm.replication.clock.HybridLogicalClock;
import io.pgmm.replication.log.DecisionLog;
import io.pgmm.replication.membership.Membership;
import io.pgmm.replication.membership.MembershipView;
import io.pgmm.replication.transport.PeerMessage;
import io.pgmm.replication.transport.PeerMessageHandler;
import io.pgmm.replication.transport.PeerTransport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The distributed commit (DESIGN, "The commit path", steps 3–6): where capture, sessions and the
 * transport meet the protocol. The origin's side is {@link OriginCoordinator}, the voter's side
 * {@link VoterCoordinator}; this class routes to them and decides conflicts between the two.
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
 * must vote, and the view's generation travels with its messages. The origin's prepare timestamp
 * and the peers' vote timestamps come from the hybrid logical clock; commitTs is their maximum.
 */
public final class CommitCoordinator implements DistributedCommit, CaptureListener, PeerMessageHandler, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(CommitCoordinator.class);
  static final int CHUNK_BYTES = OriginCoordinator.CHUNK_BYTES;

  private final int selfNode;
  private final Membership membership;
  private final ScheduledThreadPoolExecutor timers = new ScheduledThreadPoolExecutor(1, r -> {
    Thread t = new Thread(r, "pgmm-commit-timers");
    t.setDaemon(true);
    return t;
  });
  private volatile PeerLink link = PeerLink.NONE;
  private final PrecommittedSet precommitted = new PrecommittedSet();
  private final StageTimings timings = new StageTimings();
  private final OriginCoordinator origin;
  private final VoterCoordinator voter;
  private final PeerStatements statements;
  private volatile boolean closed;

  public CommitCoordinator(int selfNode, long incarnation, HybridLogicalClock clock, DecisionLog decisionLog,
      LocalApply apply, Duration prepareTimeout, Membership membership) {
    this.selfNode = selfNode;
    this.membership = membership;
    timers.setRemoveOnCancelPolicy(true);
    LongSupplier nanoTime = System::nanoTime;
    this.origin = new OriginCoordinator(selfNode, incarnation, clock, decisionLog, apply, prepareTimeout, membership,
        timers, nanoTime, () -> link, precommitted, timings);
    this.voter = new VoterCoordinator(selfNode, clock, decisionLog, apply, membership, timers, nanoTime, () -> link,
        precommitted, timings);
    this.statements = new PeerStatements(selfNode, () -> membership.current(), () -> link, apply);
    timers.scheduleWithFixedDelay(statements::failUnreachable, 1, 1, TimeUnit.SECONDS);
  }

  /** The transport is built with this coordinator as its handler, so it is attached afterwards. */
  public void attach(PeerTransport transport) {
    this.link = PeerLink.of(transport);
  }

  /**
   * Where to learn when capture last read anything from the slot ({@link System#nanoTime()}): a
   * transaction prepared here but not captured yet waits for capture, not for any peer, and
   * does not time out while capture is busy with the (perhaps large) transactions before it.
   */
  public void watchCapture(LongSupplier lastMessageNanos) {
    origin.watchCapture(lastMessageNanos);
  }

  // ---- DistributedCommit (sessions) ------------------------------------------------------

  @Override
  public CompletableFuture<List<String>> runOnPeers(String ddlMessage) {
    return statements.runOnPeers(nextGid(), ddlMessage);
  }

  @Override
  public Gid nextGid() {
    return origin.nextGid();
  }

  @Override
  public CompletableFuture<CommitOutcome> commit(Gid gid) {
    return origin.commit(gid);
  }

  @Override
  public CompletableFuture<Void> awaitPrecommitted() {
    return precommitted.awaitAll();
  }

  @Override
  public String unavailableReason() {
    String refusal = membership.writeRefusal();
    if (refusal != null) {
      return refusal;
    }
    MembershipView view = membership.current();
    List<String> down = new ArrayList<>();
    view.peers().forEach((peer, member) -> {
      if (!link.isConnected(peer)) {
        down.add("node " + peer + " (" + member.name() + ")");
      }
    });
    return down.isEmpty() ? null : String.join(", ", down) + (down.size() == 1 ? " is" : " are")
        + " unreachable, and every node of generation " + view.generation() + " must vote on a write";
  }

  // ---- CaptureListener (capture thread) --------------------------------------------------

  @Override
  public void beginPrepare(String gidText, long prepareLsn) {
    Gid gid = Gid.parseOrNull(gidText);
    if (gid != null) {
      origin.beginPrepare(gid);
    }
  }

  @Override
  public void change(String gidText, byte[] raw) throws InterruptedException {
    origin.change(Gid.parseOrNull(gidText), raw);
  }

  @Override
  public void prepared(String gidText, long prepareLsn, long endLsn) throws InterruptedException {
    origin.prepared(Gid.parseOrNull(gidText));
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
    origin.streamRestarted();
  }

  // ---- PeerMessageHandler (transport event loops) ----------------------------------------

  /** Every message type is named here; a new one falls into the exception until it is routed. */
  @Override
  public void onMessage(int fromNode, PeerMessage message) {
    if (message instanceof PeerMessage.Prepare || message instanceof PeerMessage.PrepareBegin
        || message instanceof PeerMessage.ChangeChunk || message instanceof PeerMessage.PrepareEnd) {
      voter.onReplayMessage(fromNode, message);
    } else if (message instanceof PeerMessage.Vote v) {
      origin.onVote(v);
    } else if (message instanceof PeerMessage.PreCommitAck a) {
      origin.onPreCommitAck(a);
    } else if (message instanceof PeerMessage.DecisionAck a) {
      origin.onDecisionAck(a);
    } else if (message instanceof PeerMessage.PreCommit p) {
      voter.onPreCommit(fromNode, p);
    } else if (message instanceof PeerMessage.Decision d) {
      voter.onDecision(fromNode, d);
    } else if (message instanceof PeerMessage.Wound w) {
      origin.wound(w.gid(), "node " + fromNode + " found an older transaction waiting for its rows");
    } else if (message instanceof PeerMessage.RunStatement r) {
      statements.onRunStatement(fromNode, r);
    } else if (message instanceof PeerMessage.StatementDone d) {
      statements.onStatementDone(fromNode, d);
    } else {
      throw new IllegalArgumentException("no route for peer message " + message.getClass().getSimpleName());
    }
  }

  @Override
  public void onConnected(int node) {
    if (!closed) {
      origin.onConnected(node);
    }
  }

  @Override
  public void onDisconnected(int node) {
    if (!closed) {
      origin.onDisconnected(node);
    }
  }

  // ---- conflicts ---------------------------------------------------------------------------

  /**
   * The apply of {@code waiting} waits for a row of {@code holder} (prepared, or being replayed):
   * the older of the two wins at once, the same way on every node ({@link ConflictRule}). A holder
   * precommitted here is about to commit and free the row: then the waiter waits. Called by the
   * {@link DeadlockResolver}.
   */
  void resolveConflict(Gid waiting, Gid holder) {
    if (precommitted.holds(holder)) {
      return;
    }
    long waitingTs = prepareTsOf(waiting);
    long holderTs = prepareTsOf(holder);
    if (waitingTs == 0 || holderTs == 0) {
      return; // the ages are unknown here: the apply's lock timeout decides
    }
    if (!ConflictRule.older(waitingTs, waiting, holderTs, holder)) {
      // The younger gives way now rather than after its lock timeout: the older may itself wait for
      // rows the younger holds on another node, and nothing else would end that wait sooner.
      voter.cancelUnprepared(waiting);
      return;
    }
    if (holder.originNode() == selfNode) {
      origin.wound(holder, "an older transaction (" + waiting + ") changed the same rows");
      return;
    }
    // Being replayed here and not prepared yet: its No vote ends it at once everywhere. Prepared
    // here, it may have voted yes: only its origin may abort it.
    if (!voter.cancelUnprepared(holder)) {
      link.send(holder.originNode(), new PeerMessage.Wound(holder));
    }
  }

  private long prepareTsOf(Gid gid) {
    long own = origin.prepareTsOf(gid);
    return own != 0 ? own : voter.prepareTsOf(gid);
  }

  /** Rolled-back peer transactions whose tombstones are still kept. */
  public int tombstonesHeld() {
    return voter.tombstonesHeld();
  }

  /** Where commits spent their time since the last call (see {@link StageTimings#drain}), or null. */
  public String drainTimings() {
    return timings.drain();
  }

  @Override
  public void close() {
    closed = true;
    timers.shutdownNow();
    voter.close();
  }
}
