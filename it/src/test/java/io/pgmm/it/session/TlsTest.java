package io.pgmm.it.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgmm.config.TlsConfig;
import io.pgmm.it.support.Commands;
import io.pgmm.it.support.PgmmTestNode;
import io.pgmm.it.support.TestDirs;
import io.pgmm.it.transcript.PgWireClient;
import io.pgmm.it.transcript.PgWireClient.Message;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The sidecar terminates TLS for clients; the hop to the local PostgreSQL is plain. */
class TlsTest {

  private static Path certDir;
  private static PgmmTestNode tlsNode;
  private static PgmmTestNode plainNode;

  @BeforeAll
  static void startNodes() {
    certDir = TestDirs.create("tls-cert");
    Path cert = certDir.resolve("server.crt");
    Path key = certDir.resolve("server.key");
    Commands.run(List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        "-subj", "/CN=localhost", "-keyout", key.toString(), "-out", cert.toString()), Duration.ofSeconds(60))
        .assertSuccess();
    tlsNode = PgmmTestNode.start("tls", o -> o.tls = new TlsConfig(cert, key));
    plainNode = PgmmTestNode.start("notls");
  }

  @AfterAll
  static void stopNodes() {
    try {
      if (tlsNode != null) {
        tlsNode.close();
      }
    } finally {
      if (plainNode != null) {
        plainNode.close();
      }
      TestDirs.deleteQuietly(certDir);
    }
  }

  private static Properties sslRequire() {
    Properties p = new Properties();
    p.setProperty("sslmode", "require");
    return p;
  }

  @Test
  void pgjdbcWithSslmodeRequireConnectsAndQueries() throws SQLException {
    try (Connection c = tlsNode.connect(sslRequire()); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("select current_user, 6 * 7")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getString(1)).isEqualTo("postgres");
      assertThat(rs.getInt(2)).isEqualTo(42);
    }
  }

  @Test
  void psqlWithSslmodeRequireReportsAnSslConnection() {
    Commands.Result r = psql(tlsNode, "require", "\\conninfo").assertSuccess();
    assertThat(r.stdout()).contains("SSL connection (protocol: TLS");
  }

  @Test
  void psqlRunsQueriesOverTls() {
    Commands.Result r = psql(tlsNode, "require", "select 'over tls' || 1").assertSuccess();
    assertThat(r.stdout()).contains("over tls1");
  }

  @Test
  void withoutTlsTheSslRequestIsAnsweredN() throws Exception {
    try (PgWireClient c = PgWireClient.open(plainNode.port())) {
      c.sendRaw(PgWireClient.sslRequest());
      assertThat(c.readByte()).isEqualTo('N');
      // The connection goes on in the clear, as with PostgreSQL.
      List<Message> startup = c.startup("postgres", "postgres", "after-n");
      assertThat(startup.get(startup.size() - 1).type()).isEqualTo('Z');
    }
  }

  @Test
  void withoutTlsLibpqSslmodeRequireFails() {
    Commands.Result r = psql(plainNode, "require", "select 1");
    assertThat(r.exitCode()).isNotZero();
    assertThat(r.stderr()).contains("server does not support SSL");
  }

  @Test
  void withoutTlsPgjdbcSslmodeRequireFails() {
    assertThatThrownBy(() -> plainNode.connect(sslRequire()).close())
        .isInstanceOf(SQLException.class)
        .hasMessageContaining("does not support SSL");
  }

  @Test
  void bytesSentWithTheSslRequestBeforeTheHandshakeAreRefused() throws Exception {
    try (PgWireClient c = PgWireClient.open(tlsNode.port())) {
      ByteArrayOutputStream both = new ByteArrayOutputStream();
      both.writeBytes(PgWireClient.sslRequest());
      both.writeBytes(PgWireClient.startupMessage(Map.of("user", "postgres", "database", "postgres")));
      c.sendRaw(both.toByteArray()); // one write: the startup rides with the SSLRequest (CVE-2021-23214)
      byte[] rest = c.socket().getInputStream().readAllBytes();
      // Refused: either closed outright, or one FATAL 08P01 ErrorResponse and closed. Never 'S'.
      if (rest.length > 0) {
        assertThat((char) rest[0]).as("first byte of the answer").isEqualTo('E');
        String text = new String(rest, java.nio.charset.StandardCharsets.UTF_8);
        assertThat(text).contains("FATAL").contains("08P01");
      }
    }
  }

  static Commands.Result psql(PgmmTestNode node, String sslmode, String command) {
    String conninfo = "host=127.0.0.1 port=" + node.port() + " user=postgres dbname=postgres sslmode=" + sslmode
        + " connect_timeout=10";
    return Commands.run(List.of(Commands.pgProgram("psql"), "-X", "-At", "-d", conninfo, "-c", command),
        Map.of("PGSSLROOTCERT", "/nonexistent", "PGSSLCERT", "/nonexistent", "PGSSLKEY", "/nonexistent"),
        null, Duration.ofSeconds(30));
  }
}
