package io.pgmm.it.clients;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgmm.it.support.PgmmTestNode;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * LISTEN through the sidecar: notifications arrive while the listener is idle, whether the
 * notifier came through the sidecar or straight to PostgreSQL.
 */
class ListenNotifyTest {

  private static PgmmTestNode node;

  @BeforeAll
  static void startNode() {
    node = PgmmTestNode.start("notify");
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void idleListenerReceivesNotificationsFromSidecarAndDirectNotifiers() throws SQLException {
    try (Connection listener = node.connect(); Connection viaSidecar = node.connect();
        Connection direct = node.connectDirect()) {
      execute(listener, "listen \"Orders Channel\"");
      execute(listener, "listen other_channel");
      int sidecarPid = backendPid(viaSidecar);
      int directPid = backendPid(direct);

      execute(viaSidecar, "notify \"Orders Channel\", 'from the sidecar: ünïcödé'");
      execute(direct, "select pg_notify('Orders Channel', 'from postgres directly')");
      execute(direct, "notify other_channel");

      List<PGNotification> received = receive(listener, 3);

      assertThat(received).extracting(PGNotification::getName)
          .containsExactly("Orders Channel", "Orders Channel", "other_channel");
      assertThat(received).extracting(PGNotification::getParameter)
          .containsExactly("from the sidecar: ünïcödé", "from postgres directly", "");
      assertThat(received).extracting(PGNotification::getPID).containsExactly(sidecarPid, directPid, directPid);
    }
  }

  @Test
  void notificationIsDeliveredOnlyWhenNotifyingTransactionCommits() throws SQLException {
    try (Connection listener = node.connect(); Connection notifier = node.connect()) {
      execute(listener, "listen tx_channel");
      notifier.setAutoCommit(false);
      execute(notifier, "notify tx_channel, 'rolled back'");
      notifier.rollback();
      execute(notifier, "notify tx_channel, 'committed'");
      // Nothing may have arrived yet: a query round trip on the listener flushes anything pending.
      execute(listener, "select 1");
      assertThat(listener.unwrap(PGConnection.class).getNotifications()).isNullOrEmpty();
      notifier.commit();

      List<PGNotification> received = receive(listener, 1);

      assertThat(received).extracting(PGNotification::getParameter).containsExactly("committed");
    }
  }

  @Test
  void unlistenStopsDelivery() throws SQLException {
    try (Connection listener = node.connect(); Connection notifier = node.connect()) {
      execute(listener, "listen gone_channel");
      execute(listener, "unlisten gone_channel");
      execute(listener, "listen kept_channel");
      execute(notifier, "notify gone_channel, 'lost'");
      execute(notifier, "notify kept_channel, 'kept'");

      List<PGNotification> received = receive(listener, 1);

      assertThat(received).extracting(PGNotification::getName).containsExactly("kept_channel");
    }
  }

  /**
   * Waits, without issuing queries, until {@code expected} notifications have arrived. PostgreSQL
   * delivers notifications in commit order, so one that should not have come would arrive before
   * the last expected one and show up in the list.
   */
  private static List<PGNotification> receive(Connection listener, int expected) {
    PGConnection pg;
    try {
      pg = listener.unwrap(PGConnection.class);
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
    List<PGNotification> received = new ArrayList<>();
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ZERO).until(() -> {
      PGNotification[] batch = pg.getNotifications(200);
      if (batch != null) {
        received.addAll(Arrays.asList(batch));
      }
      return received.size() >= expected;
    });
    return received;
  }

  private static void execute(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  private static int backendPid(Connection c) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select pg_backend_pid()")) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
