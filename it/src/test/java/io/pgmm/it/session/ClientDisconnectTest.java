package io.pgmm.it.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgmm.it.support.PgmmTestNode;
import io.pgmm.it.transcript.PgWireClient;
import io.pgmm.it.transcript.PgWireClient.Message;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A client that vanishes mid-transaction leaves no backend, no lock and no data behind. */
class ClientDisconnectTest {

  private static PgmmTestNode node;

  @BeforeAll
  static void startNode() {
    node = PgmmTestNode.start("disconnect");
    Direct.execute(node, "create table disconnect_t(id int primary key, who text)");
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      node.close();
    }
  }

  private static void assertGone(String applicationName, int pid, String who) {
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      assertThat(Direct.backends(node, applicationName)).as("backends of " + applicationName).isZero();
      assertThat(Direct.count(node, "select count(*) from pg_locks where pid = " + pid)).as("locks").isZero();
    });
    assertThat(Direct.count(node, "select count(*) from disconnect_t where who = '" + who + "'"))
        .as("the uncommitted insert").isZero();
    // The row lock is gone too: the same key can be inserted and committed directly.
    Direct.execute(node, "insert into disconnect_t values (" + pid + ", 'direct'); delete from disconnect_t where id = "
        + pid);
  }

  @Test
  void jdbcAbortMidTransactionRollsBack() throws Exception {
    Properties p = new Properties();
    p.setProperty("ApplicationName", "disconnect-jdbc");
    Connection c = node.connect(p);
    ExecutorService executor = Executors.newSingleThreadExecutor();
    try {
      c.setAutoCommit(false);
      int pid;
      try (Statement s = c.createStatement()) {
        try (ResultSet rs = s.executeQuery("select pg_backend_pid()")) {
          rs.next();
          pid = rs.getInt(1);
        }
        s.execute("insert into disconnect_t values (" + pid + ", 'jdbc')");
        s.execute("lock table disconnect_t in share mode");
      }
      assertThat(Direct.count(node, "select count(*) from pg_locks where pid = " + pid)).isPositive();
      c.abort(executor);
      assertGone("disconnect-jdbc", pid, "jdbc");
    } finally {
      executor.shutdownNow();
      c.close();
    }
  }

  @Test
  void rawSocketResetMidTransactionRollsBack() throws Exception {
    int pid;
    PgWireClient c = PgWireClient.connect(node.port(), "postgres", "postgres", "disconnect-raw");
    try {
      c.sendQuery("begin; select pg_backend_pid()");
      List<Message> rows = c.readUntil('Z');
      byte[] row = rows.stream().filter(m -> m.type() == 'D').findFirst().orElseThrow().body();
      pid = Integer.parseInt(new String(row, 6, row.length - 6, StandardCharsets.US_ASCII));
      c.sendQuery("insert into disconnect_t values (" + pid + ", 'raw')");
      assertThat(c.readUntil('Z')).extracting(Message::type).containsExactly('C', 'Z');
    } finally {
      c.abort();
    }
    assertGone("disconnect-raw", pid, "raw");
  }

  @Test
  void closeWhileAQueryRunsEndsTheBackend() throws Exception {
    PgWireClient c = PgWireClient.connect(node.port(), "postgres", "postgres", "disconnect-busy");
    try {
      c.sendQuery("begin; insert into disconnect_t values (-1, 'busy'); select pg_sleep(4)");
      await().until(() -> Direct.count(node,
          "select count(*) from pg_stat_activity where application_name = 'disconnect-busy' and state = 'active'") == 1);
    } finally {
      c.close();
    }
    // PostgreSQL notices a vanished client only when it next writes to it (the query runs on), so
    // the backend goes once pg_sleep ends, provided the sidecar closed its end; if it kept the
    // backend connection, the backend would stay "idle in transaction" for ever.
    await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
        assertThat(Direct.backends(node, "disconnect-busy")).isZero());
    assertThat(Direct.count(node, "select count(*) from disconnect_t where who = 'busy'")).isZero();
  }
}
