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
    // PostgreSQL's limit (MAX_STARTUP_PACKET_LENGTH = 10000) applies to the packet without its
    // length word: 10004 is the longest length it accepts, 10005 the shortest it refuses.
    byte[] header = ByteBuffer.allocate(8).putInt(10_005).putInt(PgWireClient.PROTOCOL_3_0).array();
    List<Message> direct = sendBeforeStartup(node.postgresPort(), header);
    List<Message> viaSidecar = sendBeforeStartup(node.port(), header);
    // PostgreSQL logs "invalid length of startup packet" and hangs up without a word.
    assertThat(direct).isEmpty();
    assertRefused(viaSidecar, false);
  }

  @Test
  void startupPacketOfPostgresMaximumLengthIsAccepted() throws Exception {
    for (int port : new int[] {node.postgresPort(), node.port()}) {
      try (PgWireClient c = PgWireClient.open(port)) {
        c.sendRaw(startupOfLength(10_004));
        List<Message> got = c.readUntil('Z', 'E');
        assertThat(got).as("startup of 10004 bytes on port %d: %s", port, got).last()
            .extracting(Message::type).isEqualTo('Z');
      }
    }
  }

  /** A valid StartupMessage of exactly {@code length} bytes, padded through application_name. */
  private static byte[] startupOfLength(int length) {
    // 4 length + 4 version + "user\0postgres\0" (14) + "database\0postgres\0" (18) + "application_name\0" (17) + pad + \0 + final \0
    int pad = length - (4 + 4 + 14 + 18 + 17 + 1 + 1);
    byte[] packet = PgWireClient.startupMessage(java.util.Map.of("user", "postgres", "database", "postgres",
        "application_name", "x".repeat(pad)));
    assertThat(packet).hasSize(length);
    return packet;
  }

  @Test
  void minorProtocolVersionAndUnknownOptionsAreNegotiatedLikePostgres() throws Exception {
    // Protocol 3.2 (what newer libpq can ask for) with a _pq_ option: PostgreSQL 15 answers
    // NegotiateProtocolVersion (3.0, the option unrecognised) and carries on.
    byte[] body = new PgWireClient.Body().int32((3 << 16) | 2).cstring("user").cstring("postgres")
        .cstring("database").cstring("postgres").cstring("_pq_.pgmm_test").cstring("on").int8(0).startupPacket();
    List<String> rendered = new java.util.ArrayList<>();
    for (int port : new int[] {node.postgresPort(), node.port()}) {
      try (PgWireClient c = PgWireClient.open(port)) {
        c.sendRaw(body);
        List<Message> got = c.readUntil('Z', 'E');
        rendered.add(got.stream().filter(m -> m.type() != 'S')
            .map(m -> io.pgmm.it.transcript.MessageRenderer.render(m, c.processId())).toList().toString());
        c.sendQuery("select 1");
        assertThat(c.readUntil('Z')).extracting(Message::type).containsExactly('T', 'D', 'C', 'Z');
      }
    }
    assertThat(rendered.get(0)).startsWith("[NegotiateProtocolVersion");
    assertThat(rendered.get(1)).as("through the sidecar").isEqualTo(rendered.get(0));
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
    assertThat(viaSidecar).as("through the sidecar: %s", viaSidecar).extracting(Message::sqlState).containsExactly("0A000");
  }
}
