package io.pgmm.it.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgmm.it.support.PgmmTestNode;
import io.pgmm.it.transcript.PgWireClient;
import io.pgmm.it.transcript.PgWireClient.Message;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** CancelRequests carry the sidecar's keys; it maps them to the backend's and forwards them. */
class CancelTest {

  private static PgmmTestNode node;

  @BeforeAll
  static void startNode() {
    node = PgmmTestNode.start("cancel");
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      node.close();
    }
  }

  private static boolean sleeping(String applicationName) {
    return Direct.count(node, "select count(*) from pg_stat_activity where application_name = '" + applicationName
        + "' and state = 'active' and query like '%pg_sleep%'") == 1;
  }

  @Test
  void pgjdbcCancelStopsALongQueryWith57014AndTheConnectionStaysUsable() throws Exception {
    Properties p = new Properties();
    p.setProperty("ApplicationName", "cancel-jdbc");
    try (Connection c = node.connect(p); Statement s = c.createStatement()) {
      CompletableFuture<SQLException> outcome = CompletableFuture.supplyAsync(() -> {
        try {
          s.execute("select pg_sleep(60)");
          return null;
        } catch (SQLException e) {
          return e;
        }
      });
      await().atMost(Duration.ofSeconds(10)).until(() -> sleeping("cancel-jdbc"));
      long start = System.nanoTime();
      s.cancel();
      SQLException e = outcome.get(10, TimeUnit.SECONDS);
      long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertThat((Throwable) e).as("the query was cancelled").isNotNull();
      assertThat(e.getSQLState()).isEqualTo("57014");
      assertThat(elapsedMillis).isLessThan(10_000);
      try (ResultSet rs = s.executeQuery("select 7")) {
        rs.next();
        assertThat(rs.getInt(1)).isEqualTo(7);
      }
    }
  }

  @Test
  void cancelWithAWrongSecretDoesNothingAndTheRightKeyCancels() throws Exception {
    try (PgWireClient c = PgWireClient.connect(node.port(), "postgres", "postgres", "cancel-raw")) {
      assertThat(c.processId()).as("BackendKeyData received").isNotZero();
      c.sendQuery("select pg_sleep(30)");
      await().atMost(Duration.ofSeconds(10)).until(() -> sleeping("cancel-raw"));

      PgWireClient.cancel(node.port(), c.processId(), c.secretKey() + 1);
      PgWireClient.cancel(node.port(), c.processId() + 1, c.secretKey());
      // Still sleeping, and nothing came back to the client.
      await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(() -> sleeping("cancel-raw"));
      assertThat(c.hasPendingInput()).isFalse();

      long start = System.nanoTime();
      PgWireClient.cancel(node.port(), c.processId(), c.secretKey());
      List<Message> answer = c.readUntil('Z');
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(10_000);
      assertThat(answer).anySatisfy(m -> {
        assertThat(m.sqlState()).isEqualTo("57014");
        assertThat(m.errorMessage()).isEqualTo("canceling statement due to user request");
      });
      assertThat(answer.get(answer.size() - 1).body()).containsExactly('I');

      c.sendQuery("select 1");
      assertThat(c.readUntil('Z')).extracting(Message::type).containsExactly('T', 'D', 'C', 'Z');
    }
  }

  @Test
  void cancelNamingTheBackendPidWithAGuessedSecretIsIgnored() throws Exception {
    try (PgWireClient viaSidecar = PgWireClient.connect(node.port(), "postgres", "postgres", "cancel-keys")) {
      viaSidecar.sendQuery("select pg_backend_pid()");
      List<Message> rows = viaSidecar.readUntil('Z');
      int backendPid = Integer.parseInt(new String(rows.get(1).body(), 6, rows.get(1).body().length - 6,
          java.nio.charset.StandardCharsets.US_ASCII));
      // The client knows the backend's pid (pg_backend_pid) but not a secret: a guess must be ignored.
      viaSidecar.sendQuery("select pg_sleep(5)");
      await().atMost(Duration.ofSeconds(10)).until(() -> sleeping("cancel-keys"));
      PgWireClient.cancel(node.port(), backendPid, 0);
      await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> sleeping("cancel-keys"));
      List<Message> done = viaSidecar.readUntil('Z');
      assertThat(done).noneMatch(Message::isError);
    }
  }
}
