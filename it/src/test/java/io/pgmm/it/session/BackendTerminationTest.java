package io.pgmm.it.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.pgmm.it.support.PgmmTestNode;
import io.pgmm.it.transcript.PgWireClient;
import io.pgmm.it.transcript.PgWireClient.Message;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** When PostgreSQL ends a session's backend, the client hears it and is disconnected, never left hanging. */
class BackendTerminationTest {

  private static PgmmTestNode node;

  @BeforeAll
  static void startNode() {
    node = PgmmTestNode.start("backend-dies");
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      node.close();
    }
  }

  private static int backendPid(PgWireClient c) throws Exception {
    c.sendQuery("select pg_backend_pid()");
    List<Message> rows = c.readUntil('Z');
    byte[] row = rows.get(1).body();
    return Integer.parseInt(new String(row, 6, row.length - 6, StandardCharsets.US_ASCII));
  }

  private static void terminate(int pid) {
    assertThat(Direct.count(node, "select count(*) from pg_stat_activity where pid = " + pid)).isEqualTo(1);
    Direct.execute(node, "select pg_terminate_backend(" + pid + ")");
  }

  @Test
  void idleClientReceivesPostgresFatal57P01AndIsClosed() throws Exception {
    try (PgWireClient c = PgWireClient.connect(node.port(), "postgres", "postgres", "victim-idle")) {
      terminate(backendPid(c));
      List<Message> last = c.readUntilClosed();
      assertThat(last).hasSize(1);
      assertThat(last.get(0).severity()).isEqualTo("FATAL");
      assertThat(last.get(0).sqlState()).isEqualTo("57P01");
      assertThat(last.get(0).errorMessage()).isEqualTo("terminating connection due to administrator command");
    }
  }

  @Test
  void busyClientReceivesTheFatalInsteadOfItsResult() throws Exception {
    try (PgWireClient c = PgWireClient.connect(node.port(), "postgres", "postgres", "victim-busy")) {
      int pid = backendPid(c);
      c.sendQuery("select pg_sleep(30)");
      org.awaitility.Awaitility.await().until(() -> Direct.count(node,
          "select count(*) from pg_stat_activity where pid = " + pid + " and state = 'active'") == 1);
      terminate(pid);
      // PostgreSQL sent the RowDescription before it began to sleep; then the FATAL, then the close.
      List<Message> last = c.readUntilClosed();
      assertThat(last).extracting(Message::type).containsExactly('T', 'E');
      assertThat(last.get(1).sqlState()).isEqualTo("57P01");
    }
  }

  @Test
  void pgjdbcSeesTheErrorAndItsConnectionIsClosed() throws Exception {
    Properties p = new Properties();
    p.setProperty("ApplicationName", "victim-jdbc");
    try (Connection c = node.connect(p); Statement s = c.createStatement()) {
      int pid;
      try (ResultSet rs = s.executeQuery("select pg_backend_pid()")) {
        rs.next();
        pid = rs.getInt(1);
      }
      terminate(pid);
      org.awaitility.Awaitility.await().until(() -> Direct.count(node,
          "select count(*) from pg_stat_activity where pid = " + pid) == 0);
      SQLException first = catchThrowableOfType(SQLException.class, () -> s.executeQuery("select 1").close());
      assertThat((Throwable) first).isNotNull();
      assertThat(first.getSQLState()).isIn("57P01", "08006");
      SQLException second = catchThrowableOfType(SQLException.class, () -> s.executeQuery("select 1").close());
      assertThat((Throwable) second).as("the connection is unusable afterwards").isNotNull();
      assertThat(c.isValid(2)).isFalse();
    }
  }
}
