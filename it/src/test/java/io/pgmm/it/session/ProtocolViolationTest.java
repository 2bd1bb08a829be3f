package io.pgmm.it.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgmm.it.support.PgmmTestNode;
import io.pgmm.it.transcript.PgWireClient;
import io.pgmm.it.transcript.PgWireClient.Message;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A client that breaks the framing gets a FATAL 08P01 (or, where PostgreSQL itself just hangs up,
 * a close) and nothing else suffers: the sidecar keeps serving.
 */
class ProtocolViolationTest {

  private static final int MAX_MESSAGE_BYTES = 1024 * 1024;
  private static PgmmTestNode node;

  @BeforeAll
  static void startNode() {
    node = PgmmTestNode.start("violations", o -> o.maxMessageBytes = MAX_MESSAGE_BYTES);
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      node.close();
    }
  }

  @AfterEach
  void sidecarStillServes() throws Exception {
    try (Connection c = node.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select 1")) {
      assertThat(rs.next()).isTrue();
    }
    org.awaitility.Awaitility.await().untilAsserted(() ->
        assertThat(node.sidecar().registry().size()).as("sessions left in the registry").isZero());
  }

  /** A violation's answer: nothing or one FATAL 08P01, then the close. */
  private static void assertRefused(List<Message> answer, boolean errorRequired) {
    if (!errorRequired && answer.isEmpty()) {
      return;
    }
    assertThat(answer).as("answer to a protocol violation").hasSize(1);
    assertThat(answer.get(0).severity()).isEqualTo("FATAL");
    assertThat(answer.get(0).sqlState()).isEqualTo("08P01");
  }

  private static List<Message> startupThenSend(int port, byte[] bytes) throws Exception {
    try (PgWireClient c = PgWireClient.connect(port, "postgres", "postgres", "violator")) {
      c.sendRaw(bytes);
      return c.readUntilClosed();
    }
  }

  private static List<Message> sendBeforeStartup(int port, byte[] bytes) throws Exception {
    try (PgWireClient c = PgWireClient.open(port)) {
      c.sendRaw(bytes);
      return c.readUntilClosed();
    }
  }

  @Test
  void oversizedStartupPacketIsRefusedLikePostgres() throws Exception {
    byte[] header = ByteBuffer.allocate(8).putInt(10_001).putInt(PgWireClient.PROTOCOL_3_0).array();
    List<Message> direct = sendBeforeStartup(node.postgresPort(), header);
    List<Message> viaSidecar = sendBeforeStartup(node.port(), header);
    // PostgreSQL logs "invalid length of startup packet" and hangs up without a word.
    assertThat(direct).isEmpty();
    assertRefused(viaSidecar, false);
  }

  @Test
  void startupPacketShorterThanItsHeaderIsRefused() throws Exception {
    byte[] header = ByteBuffer.allocate(4).putInt(3).array();
    assertThat(sendBeforeStartup(node.postgresPort(), header)).isEmpty();
    assertRefused(sendBeforeStartup(node.port(), header), false);
  }

  @Test
  void unknownMessageTypeAfterStartupGets08P01() throws Exception {
    byte[] unknown = PgWireClient.typed('y', new byte[0]);
    List<Message> direct = startupThenSend(node.postgresPort(), unknown);
    List<Message> viaSidecar = startupThenSend(node.port(), unknown);
    assertRefused(direct, true);
    assertRefused(viaSidecar, true);
  }

  @Test
  void messageLongerThanMaxMessageBytesIsRefusedBeforeItsBody() throws Exception {
    // Only the header: the sidecar must judge the length without waiting for 2 MiB of body.
    byte[] header = ByteBuffer.allocate(5).put((byte) 'Q').putInt(2 * 1024 * 1024).array();
    List<Message> viaSidecar = startupThenSend(node.port(), header);
    assertRefused(viaSidecar, true);
    assertThat(viaSidecar.get(0).errorMessage()).isNotBlank();
  }

  @Test
  void messageLengthBelowFourIsRefused() throws Exception {
    byte[] bad = ByteBuffer.allocate(5).put((byte) 'Q').putInt(3).array();
    // PostgreSQL logs "invalid message length" and hangs up without a word; the sidecar may say why.
    assertThat(startupThenSend(node.postgresPort(), bad)).isEmpty();
    assertRefused(startupThenSend(node.port(), bad), false);
  }

  @Test
  void unsupportedProtocolVersionIsAnsweredLikePostgres() throws Exception {
    byte[] v4 = ByteBuffer.allocate(8 + 9).putInt(17).putInt(4 << 16).put("user\0pg\0\0".getBytes()).array();
    List<Message> direct = sendBeforeStartup(node.postgresPort(), v4);
    List<Message> viaSidecar = sendBeforeStartup(node.port(), v4);
    assertThat(direct).extracting(Message::sqlState).containsExactly("0A000");
    assertThat(viaSidecar).extracting(Message::sqlState).containsExactly("0A000");
  }
}
