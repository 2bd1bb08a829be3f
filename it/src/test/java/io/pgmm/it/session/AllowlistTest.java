package io.pgmm.it.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.pgmm.it.support.PgmmTestNode;
import io.pgmm.it.transcript.PgWireClient;
import io.pgmm.it.transcript.PgWireClient.Message;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;

/** clients.allow is checked before any backend connection is made. */
class AllowlistTest {

  private static PgmmTestNode node;

  @BeforeAll
  static void startNode() {
    node = PgmmTestNode.start("allow", o -> o.allow = List.of("10.0.0.0/8"));
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void clientOutsideTheAllowlistGets28000NamingItsHost() {
    PSQLException e = catchThrowableOfType(PSQLException.class, () -> node.connect().close());
    assertThat((Throwable) e).isNotNull();
    assertThat(e.getSQLState()).isEqualTo("28000");
    assertThat(e.getServerErrorMessage()).isNotNull();
    assertThat(e.getServerErrorMessage().getSeverity()).isEqualTo("FATAL");
    assertThat(e.getServerErrorMessage().getMessage()).contains("127.0.0.1").contains("postgres");
  }

  @Test
  void refusedClientGetsOneFatalErrorAndAClose() throws Exception {
    try (PgWireClient c = PgWireClient.open(node.port())) {
      c.sendRaw(PgWireClient.startupMessage(java.util.Map.of("user", "postgres", "database", "postgres",
          "application_name", "refused-client")));
      List<Message> got = c.readUntilClosed();
      assertThat(got).hasSize(1);
      assertThat(got.get(0).sqlState()).isEqualTo("28000");
      assertThat(got.get(0).severity()).isEqualTo("FATAL");
    }
    // No backend was started for it.
    assertThat(Direct.backends(node, "refused-client")).isZero();
  }
}
