package io.pgmm.replication.commit;

import io.pgmm.replication.Gid;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongPredicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides conflicts between distributed transactions by age (DESIGN, "Conflicts and distributed
 * deadlocks"): every {@code deadlock_check}, while some apply worker has been waiting in
 * PostgreSQL for at least that long, it reads the lock waits and follows each waiting apply T to
 * the distributed transactions it waits for. If T is older than such a holder H (smaller
 * prepareTs, then smaller origin node), H is wounded: aborted here if this node is its origin and
 * it is not yet precommitted, its replay cancelled if it is being applied here, otherwise through
 * a Wound to its origin. A younger T keeps waiting until its apply's lock timeout votes No. Waits
 * only ever go from older to younger, so there is no cycle, and two nodes hammering one row do
 * not both abort.
 *
 * <p>T may wait for H directly (a row of H's), or behind another waiter in the row's queue (a
 * tuple lock): the holders are followed through {@code pg_blocking_pids} to every transaction in
 * the chain. A prepared holder shows {@code pg_blocking_pids = {0}} (verified), so a waiter's
 * prepared holder is found through its transaction id in {@code pg_locks} and {@code
 * pg_prepared_xacts} instead.
 */
public final class DeadlockResolver implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(DeadlockResolver.class);
  private static final long REWOUND_AFTER_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
  /** Quiet looks double the pause before the next, at most this often (10 ms → 80 ms, well below the lock timeout). */
  private static final int MAX_QUIET_DOUBLINGS = 3;
  /** Every backend waiting for a lock: whom it waits for, and the pgmm gid if that is a prepared transaction. */
  private static final String WAITS_SQL =
      "SELECT a.pid, pg_catalog.pg_blocking_pids(a.pid),"
          + " (SELECT px.gid FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_prepared_xacts px"
          + "   ON px.transaction = l.transactionid"
          + "   WHERE l.pid = a.pid AND NOT l.granted AND l.locktype = 'transactionid' AND px.gid LIKE 'pgmm:%')"
          + " FROM pg_catalog.pg_stat_activity a WHERE a.wait_event_type = 'Lock'";

  private final String jdbcUrl;
  private final Properties props;
  private final Supplier<Map<Integer, String>> applyingByPid;
  private final LongPredicate waitingLongerThan;
  private final CommitCoordinator coordinator;
  private final Supplier<LocalSessions> sessions;
  private final long checkNanos;
  // timer thread only
  private int quietChecks;
  private long nextQueryNanos = System.nanoTime();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "pgmm-deadlock-check");
    t.setDaemon(true);
    return t;
  });
  private Connection connection;
  /** Client backends cancelled lately, by pid: when; a cancel takes a moment to land, one is enough. */
  private final Map<Integer, Long> woundedAt = new HashMap<>();

  /**
   * @param applyingByPid      the gid each apply worker's backend is replaying, by backend pid
   * @param waitingLongerThan  whether some apply has been running a statement for at least the
   *                           given nanoseconds (no lock table read otherwise)
   */
  public DeadlockResolver(String jdbcUrl, Properties props, Supplier<Map<Integer, String>> applyingByPid,
      LongPredicate waitingLongerThan, CommitCoordinator coordinator, Supplier<LocalSessions> sessions,
      long checkMillis) {
    this.sessions = sessions;
    this.jdbcUrl = jdbcUrl;
    this.props = props;
    this.applyingByPid = applyingByPid;
    this.waitingLongerThan = waitingLongerThan;
    this.coordinator = coordinator;
    this.checkNanos = TimeUnit.MILLISECONDS.toNanos(checkMillis);
    timer.scheduleWithFixedDelay(this::check, checkMillis, checkMillis, TimeUnit.MILLISECONDS);
  }

  private void check() {
    if (!waitingLongerThan.test(checkNanos)) {
      quietChecks = 0;
      return;
    }
    Map<Integer, String> applying = applyingByPid.get();
    if (applying.isEmpty() || System.nanoTime() - nextQueryNanos < 0) {
      return;
    }
    try {
      if (connection == null || connection.isClosed()) {
        Properties p = new Properties();
        p.putAll(props);
        p.setProperty("ApplicationName", "pgmm-deadlock-check");
        connection = DriverManager.getConnection(jdbcUrl, p);
      }
      Map<Integer, Wait> waits = new HashMap<>();
      try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery(WAITS_SQL)) {
        while (rs.next()) {
          Integer[] blockers = (Integer[]) rs.getArray(2).getArray();
          waits.put(rs.getInt(1), new Wait(blockers, Gid.parseOrNull(rs.getString(3))));
        }
      }
      long now = System.nanoTime();
      woundedAt.values().removeIf(at -> now - at > REWOUND_AFTER_NANOS);
      boolean replayWaits = waits.keySet().stream().anyMatch(pid -> Gid.parseOrNull(applying.get(pid)) != null);
      // A long replay that waits for nobody (a big transaction) need not be looked at 100 times a
      // second: back off, up to 8 intervals, until a replay waits again.
      quietChecks = replayWaits ? 0 : Math.min(quietChecks + 1, MAX_QUIET_DOUBLINGS);
      nextQueryNanos = now + (checkNanos << quietChecks) - checkNanos;
      for (Map.Entry<Integer, Wait> w : waits.entrySet()) {
        Gid waiting = Gid.parseOrNull(applying.get(w.getKey()));
        if (waiting == null) {
          continue;
        }
        Set<Integer> clients = new HashSet<>();
        for (Gid holder : holders(w.getKey(), waits, applying, clients)) {
          if (!holder.equals(waiting)) {
            coordinator.resolveConflict(waiting, holder);
          }
        }
        for (int pid : clients) {
          if (woundedAt.putIfAbsent(pid, now) == null) {
            woundClient(pid, waiting);
          }
        }
      }
    } catch (SQLException e) {
      log.debug("deadlock check failed: {}", e.toString());
      try {
        if (connection != null) {
          connection.close();
        }
      } catch (SQLException ignored) {
        // reconnects on the next check
      }
      connection = null;
    } catch (RuntimeException e) {
      log.warn("deadlock check failed", e);
    }
  }

  /**
   * A local client's transaction, not yet prepared, holds up the replay of {@code waiting}: it is the
   * younger, so it is aborted (its statement cancelled; its client gets 40001). A client idle inside its
   * transaction is out of a cancel's reach: its session fails the block itself (see {@link LocalSessions}).
   */
  private void woundClient(int pid, Gid waiting) {
    String message = "pgmm: write conflict with an older transaction from node " + waiting.originNode()
        + " (" + waiting + ") that changed the same rows; retry the transaction";
    sessions.get().armWound(pid, message).thenAccept(armed -> {
      if (armed) {
        timer.execute(() -> cancel(pid));
      }
    });
  }

  private void cancel(int pid) {
    if (connection == null) {
      return;
    }
    try (Statement s = connection.createStatement()) {
      s.execute("SELECT pg_catalog.pg_cancel_backend(" + pid + ")");
    } catch (SQLException | RuntimeException e) {
      log.debug("cancelling backend {} failed: {}", pid, e.toString());
    }
  }

  /**
   * The distributed transactions that {@code pid} waits for, directly or through the waiters ahead of it;
   * the other backends in that chain (local clients' transactions) are added to {@code clients}.
   */
  private static Set<Gid> holders(int pid, Map<Integer, Wait> waits, Map<Integer, String> applying,
      Set<Integer> clients) {
    Set<Gid> found = new HashSet<>();
    Set<Integer> seen = new HashSet<>();
    ArrayDeque<Integer> todo = new ArrayDeque<>(List.of(pid));
    while (!todo.isEmpty()) {
      int p = todo.poll();
      if (!seen.add(p)) {
        continue;
      }
      if (p != pid) {
        Gid applied = Gid.parseOrNull(applying.get(p));
        if (applied != null) {
          found.add(applied);
        } else {
          clients.add(p);
        }
      }
      Wait w = waits.get(p);
      if (w == null) {
        continue;
      }
      if (w.prepared != null) {
        found.add(w.prepared);
      }
      for (Integer b : w.blockers) {
        if (b != null && b != 0) {
          todo.add(b);
        }
      }
    }
    return found;
  }

  /** One backend's lock wait: the backends it waits for, and the prepared pgmm transaction it waits for, if any. */
  private record Wait(Integer[] blockers, Gid prepared) {}

  @Override
  public void close() {
    timer.shutdownNow();
    try {
      if (connection != null) {
        connection.close();
      }
    } catch (SQLException ignored) {
      // closing anyway
    }
  }
}
