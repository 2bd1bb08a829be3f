package io.pgmm.it.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgmm.it.support.PgmmTestNode;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A node with a managed PostgreSQL relays over PostgreSQL's Unix-domain socket: the same protocol, cancel included. */
class UnixSocketBackendTest {

  private static PgmmTestNode node;

  @BeforeAll
  static void start() {
    node = PgmmTestNode.start("uds", o -> o.unixSocket = true);
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void sessionsReachPostgresThroughItsSocket() throws SQLException {
    try (Connection c = node.connect(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("select inet_client_addr() is null, count(*) from generate_series(1, 1000)")) {
      rs.next();
      assertThat(rs.getBoolean(1)).as("connected over the Unix-domain socket").isTrue();
      assertThat(rs.getLong(2)).isEqualTo(1000);
    }
  }

  @Test
  void cancelReachesTheBackendOverTheSocket() throws Exception {
    try (Connection c = node.connect(); Statement sleeper = c.createStatement()) {
      CompletableFuture<Void> sleep = CompletableFuture.runAsync(() -> {
        try {
          sleeper.execute("select pg_sleep(60)");
        } catch (SQLException e) {
          throw new java.util.concurrent.CompletionException(e);
        }
      });
      Awaitility.await().atMost(10, TimeUnit.SECONDS).untilAsserted(() -> {
        sleeper.cancel();
        assertThat(sleep).isCompletedExceptionally();
      });
      assertThatThrownBy(sleep::join).hasRootCauseInstanceOf(SQLException.class)
          .rootCause().extracting(e -> ((SQLException) e).getSQLState()).isEqualTo("57014");
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select 1")) {
        assertThat(rs.next()).isTrue();
      }
    }
  }
}
