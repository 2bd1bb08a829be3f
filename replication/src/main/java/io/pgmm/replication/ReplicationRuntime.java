package io.pgmm.replication;

import io.pgmm.config.ClusterConfig;
import io.pgmm.config.NodeConfig;
import io.pgmm.replication.apply.AppliedGidPruner;
import io.pgmm.replication.apply.ApplyService;
import io.pgmm.replication.apply.RemoteTransaction;
import io.pgmm.replication.capture.ChangeCapture;
import io.pgmm.replication.capture.NodeSetup;
import io.pgmm.replication.clock.HybridLogicalClock;
import io.pgmm.replication.commit.CommitCoordinator;
import io.pgmm.replication.commit.DeadlockResolver;
import io.pgmm.replication.commit.DistributedCommit;
import io.pgmm.replication.commit.LocalApply;
import io.pgmm.replication.commit.LocalSessions;
import io.pgmm.replication.log.DecisionLog;
import io.pgmm.replication.membership.Membership;
import io.pgmm.replication.membership.StaticMembership;
import io.pgmm.replication.transport.PeerTransport;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything that makes a node part of a cluster, started in order and stopped in reverse:
 * node setup in PostgreSQL, the clock, the decision log, the apply pool, the commit coordinator,
 * the peer transport and change capture. The server only sees {@link #commit()}.
 */
public final class ReplicationRuntime implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ReplicationRuntime.class);
  private static final long CONFIRM_INTERVAL_MILLIS = 500;
  /** How often conflicts between distributed transactions are looked for (DESIGN: deadlock_check). */
  private static final long DEADLOCK_CHECK_MILLIS = 10;
  private static final long TIMINGS_INTERVAL_SECONDS = 10;

  private final DecisionLog decisionLog;
  private final ApplyService apply;
  private final CommitCoordinator coordinator;
  private final PeerTransport transport;
  private final ChangeCapture capture;
  private final AppliedGidPruner pruner;
  private DeadlockResolver resolver;
  private volatile LocalSessions sessions = LocalSessions.NONE;
  private final ScheduledExecutorService confirmer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "pgmm-slot-confirm");
    t.setDaemon(true);
    return t;
  });

  private ReplicationRuntime(DecisionLog decisionLog, ApplyService apply, CommitCoordinator coordinator,
      PeerTransport transport, ChangeCapture capture, AppliedGidPruner pruner) {
    this.decisionLog = decisionLog;
    this.apply = apply;
    this.coordinator = coordinator;
    this.transport = transport;
    this.capture = capture;
    this.pruner = pruner;
  }

  /**
   * Starts the node's part in the cluster against its PostgreSQL at {@code jdbcUrl} (the
   * replicated database) as a superuser described by {@code props}.
   */
  public static ReplicationRuntime start(NodeConfig config, String jdbcUrl, Properties props) throws SQLException {
    ClusterConfig cluster = config.cluster();
    if (cluster == null) {
      throw new IllegalArgumentException("node " + config.nodeId() + " has no cluster section");
    }
    Membership membership = StaticMembership.of(config);
    try (Connection c = DriverManager.getConnection(jdbcUrl, props)) {
      try (Statement s = c.createStatement()) {
        s.execute("SET session_replication_role = replica"); // the DDL guard lets no unmarked DDL pass otherwise
      }
      NodeSetup.ensure(c, config.nodeId());
      SequenceStride.install(c, config.nodeId(), config.replication().maxNodes());
      // Alone, no DDL can leave nodes apart, and direct sessions may change the schema: no triggers.
      DdlGuard.install(c, !membership.current().peers().isEmpty());
    }
    Path state = config.dataDir().resolve("replication");
    try {
      Files.createDirectories(state);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("cannot create " + state + ": " + e.getMessage(), e);
    }
    HybridLogicalClock clock = HybridLogicalClock.open(state);
    long incarnation = HybridLogicalClock.nextIncarnation(state);
    DecisionLog decisionLog = DecisionLog.open(state);
    // COMMIT/ROLLBACK PREPARED each wait for a WAL flush: with too few connections they queue
    // behind each other and every client's commit waits for everyone's (measured: 2 connections
    // capped 12 conflict-free clients on three nodes at 140 ms per transaction).
    int decisionConnections = config.replication().applyWorkers() + 4;
    ApplyService apply = new ApplyService(jdbcUrl, props, config.replication().applyWorkers(),
        config.replication().applyQueueLength(), Duration.ofMillis(config.replication().applyLockTimeoutMillis()),
        decisionConnections, io.pgmm.replication.apply.MissingRowHandler.NONE, ApplyService.DEFAULT_MAX_BUFFERED_BYTES);
    Map<Integer, InetSocketAddress> addresses = new LinkedHashMap<>();
    membership.current().peers().forEach((id, member) ->
        addresses.put(id, InetSocketAddress.createUnresolved(member.host(), member.peerPort())));
    CommitCoordinator coordinator = new CommitCoordinator(config.nodeId(), incarnation, clock, decisionLog,
        new ApplyAdapter(apply), Duration.ofMillis(config.replication().prepareTimeoutMillis()), membership);
    PeerTransport transport = new PeerTransport(config.nodeId(), cluster.peerHost(), cluster.peerPort(),
        cluster.secret().getBytes(StandardCharsets.UTF_8), addresses, coordinator);
    coordinator.attach(transport);
    transport.start();
    ChangeCapture capture = new ChangeCapture(jdbcUrl, props, config.nodeId(), coordinator);
    coordinator.watchCapture(capture::lastMessageNanos);
    capture.start();
    AppliedGidPruner pruner = new AppliedGidPruner(jdbcUrl, props, AppliedGidPruner.DEFAULT_RETENTION,
        AppliedGidPruner.DEFAULT_INTERVAL);
    pruner.start();
    ReplicationRuntime runtime = new ReplicationRuntime(decisionLog, apply, coordinator, transport, capture, pruner);
    runtime.resolver = new DeadlockResolver(jdbcUrl, props, apply::applyingByBackendPid,
        apply::anyExecutingLongerThan, coordinator, () -> runtime.sessions, DEADLOCK_CHECK_MILLIS);
    runtime.confirmer.scheduleWithFixedDelay(() -> capture.confirm(capture.safeConfirmLsn()),
        CONFIRM_INTERVAL_MILLIS, CONFIRM_INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
    runtime.confirmer.scheduleWithFixedDelay(() -> {
      String timings = coordinator.drainTimings();
      if (timings != null) {
        log.info("commit stages, mean/max over the last {} s: {}", TIMINGS_INTERVAL_SECONDS, timings);
      }
    }, TIMINGS_INTERVAL_SECONDS, TIMINGS_INTERVAL_SECONDS, TimeUnit.SECONDS);
    log.info("node {} replicates database {} with peers {} (generation {}, incarnation {})", config.nodeId(),
        config.replication().database(), addresses.values(), membership.current().generation(), incarnation);
    return runtime;
  }

  /** Commit decisions the decision log still keeps: those some node has not confirmed as done. */
  public int decisionsHeld() {
    return decisionLog.liveCount();
  }

  /** Peers' rolled-back transactions this node still keeps a tombstone for (see {@link CommitCoordinator}). */
  public int tombstonesHeld() {
    return coordinator.tombstonesHeld();
  }

  public DistributedCommit commit() {
    return coordinator;
  }

  /**
   * Closes this node's connection to {@code peer}, losing what was on its way, as a network fault
   * would; it is dialled again after the reconnect delay.
   */
  public void disconnect(int peer) {
    transport.disconnect(peer);
  }

  /** The client sessions whose transactions conflict resolution may abort (see {@link LocalSessions}). */
  public void attach(LocalSessions sessions) {
    this.sessions = sessions;
  }

  @Override
  public void close() {
    confirmer.shutdownNow();
    pruner.close();
    if (resolver != null) {
      resolver.close();
    }
    capture.close();
    transport.close();
    coordinator.close();
    apply.close();
    decisionLog.close();
  }

  /** The apply service as the coordinator sees it. */
  private record ApplyAdapter(ApplyService apply) implements LocalApply {
    @Override
    public Replay begin(Gid gid, CompletableFuture<?> after) throws InterruptedException {
      return replayOf(apply.begin(gid.text(), after));
    }

    @Override
    public Replay tryBegin(Gid gid, CompletableFuture<?> after) throws InterruptedException {
      RemoteTransaction tx = apply.tryBegin(gid.text(), after);
      return tx == null ? null : replayOf(tx);
    }

    private static Replay replayOf(RemoteTransaction tx) {
      return new Replay() {
        @Override
        public void append(byte[] pgoutputMessage) throws InterruptedException {
          tx.append(pgoutputMessage);
        }

        @Override
        public CompletableFuture<VoteResult> prepare() {
          return tx.prepare().handle((vote, e) -> {
            if (e != null) {
              return VoteResult.no("XX000", "apply failed: " + e.getMessage());
            }
            return vote.accepted() ? VoteResult.yesVote() : VoteResult.no(vote.sqlState(), vote.message());
          });
        }

        @Override
        public void abort() {
          tx.abort();
        }

        @Override
        public boolean cancelUnprepared() {
          return tx.cancelUnprepared();
        }
      };
    }

    @Override
    public CompletableFuture<Void> decide(Gid gid, boolean commit) {
      return apply.decide(gid.text(), commit);
    }

    @Override
    public CompletableFuture<Void> runOutsideTransaction(String ddlMessage) {
      return apply.runOutsideTransaction(ddlMessage);
    }
  }
}
