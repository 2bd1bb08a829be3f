package io.pgmm.replication.commit;

import io.pgmm.replication.Gid;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides conflicts between distributed transactions by age (DESIGN, "Conflicts and distributed
 * deadlocks"): every {@code deadlock_check} it looks for apply workers that wait for a row held
 * by a prepared distributed transaction. If the waiting transaction T is older than the holder H
 * (smaller prepareTs, then smaller origin node), H is wounded: aborted here if this node is its
 * origin and it is not yet precommitted, otherwise through a Wound to its origin. A younger T
 * keeps waiting until its apply's lock timeout votes No. Waits only ever go from older to
 * younger, so there is no cycle, and two nodes hammering one row do not both abort.
 *
 * <p>A holder that is a prepared transaction shows {@code pg_blocking_pids = {0}} (verified), so
 * the holder is found through its transaction id in {@code pg_locks} and {@code
 * pg_prepared_xacts} instead.
 */
public final class DeadlockResolver implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(DeadlockResolver.class);
  private static final String WAITS_SQL =
      "SELECT w.pid, px.gid FROM pg_catalog.pg_locks w"
          + " JOIN pg_catalog.pg_prepared_xacts px ON px.transaction = w.transactionid"
          + " WHERE NOT w.granted AND w.locktype = 'transactionid' AND px.gid LIKE 'pgmm:%'";

  private final String jdbcUrl;
  private final Properties props;
  private final Supplier<Map<Integer, String>> applyingByPid;
  private final CommitCoordinator coordinator;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "pgmm-deadlock-check");
    t.setDaemon(true);
    return t;
  });
  private Connection connection;

  public DeadlockResolver(String jdbcUrl, Properties props, Supplier<Map<Integer, String>> applyingByPid,
      CommitCoordinator coordinator, long checkMillis) {
    this.jdbcUrl = jdbcUrl;
    this.props = props;
    this.applyingByPid = applyingByPid;
    this.coordinator = coordinator;
    timer.scheduleWithFixedDelay(this::check, checkMillis, checkMillis, TimeUnit.MILLISECONDS);
  }

  private void check() {
    Map<Integer, String> applying = applyingByPid.get();
    if (applying.isEmpty()) {
      return;
    }
    try {
      if (connection == null || connection.isClosed()) {
        Properties p = new Properties();
        p.putAll(props);
        p.setProperty("ApplicationName", "pgmm-deadlock-check");
        connection = DriverManager.getConnection(jdbcUrl, p);
      }
      try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery(WAITS_SQL)) {
        while (rs.next()) {
          String waiter = applying.get(rs.getInt(1));
          Gid holder = Gid.parseOrNull(rs.getString(2));
          Gid waiting = waiter == null ? null : Gid.parseOrNull(waiter);
          if (waiting != null && holder != null) {
            coordinator.resolveConflict(waiting, holder);
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
