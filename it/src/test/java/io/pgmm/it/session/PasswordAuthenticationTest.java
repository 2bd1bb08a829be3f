package io.pgmm.it.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.pgmm.it.support.Commands;
import io.pgmm.it.support.PgmmTestNode;
import io.pgmm.it.transcript.PgWireClient;
import io.pgmm.it.transcript.PgWireClient.Message;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;

/**
 * Passwords are PostgreSQL's business: the sidecar relays the authentication exchange (SCRAM or
 * MD5) and stores nothing, so PostgreSQL's own roles, pg_hba.conf and errors apply unchanged.
 */
class PasswordAuthenticationTest {

  private static PgmmTestNode node;

  @BeforeAll
  static void startNode() throws Exception {
    node = PgmmTestNode.start("auth");
    try (Connection c = node.connectDirect(); Statement s = c.createStatement()) {
      Path hba;
      try (ResultSet rs = s.executeQuery("show hba_file")) {
        rs.next();
        hba = Path.of(rs.getString(1));
      }
      String rules = "host all scram_user 127.0.0.1/32 scram-sha-256\n"
          + "host all md5_user 127.0.0.1/32 md5\n"
          + "host all rotating_user 127.0.0.1/32 scram-sha-256\n";
      Files.writeString(hba, rules + Files.readString(hba, StandardCharsets.UTF_8), StandardCharsets.UTF_8);
      s.execute("set password_encryption = 'scram-sha-256'");
      s.execute("create role scram_user login password 'scram-secret'");
      s.execute("create role rotating_user login password 'first'");
      s.execute("set password_encryption = 'md5'");
      s.execute("create role md5_user login password 'md5-secret'");
      try (ResultSet rs = s.executeQuery("select pg_reload_conf()")) {
        rs.next();
      }
      try (ResultSet rs = s.executeQuery(
          "select count(*) from pg_hba_file_rules where auth_method in ('scram-sha-256', 'md5') and error is null")) {
        rs.next();
        assertThat(rs.getInt(1)).as("password rules loaded").isEqualTo(3);
      }
    }
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      node.close();
    }
  }

  private static Connection connect(int port, String user, String password) throws SQLException {
    return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", user, password);
  }

  private static String currentUser(Connection c) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select current_user")) {
      rs.next();
      return rs.getString(1);
    }
  }

  @Test
  void scramPasswordIsCheckedByPostgresThroughTheSidecar() throws SQLException {
    try (Connection c = connect(node.port(), "scram_user", "scram-secret")) {
      assertThat(currentUser(c)).isEqualTo("scram_user");
    }
  }

  @Test
  void md5PasswordIsCheckedByPostgresThroughTheSidecar() throws SQLException {
    try (Connection c = connect(node.port(), "md5_user", "md5-secret")) {
      assertThat(currentUser(c)).isEqualTo("md5_user");
    }
  }

  @Test
  void sidecarOffersScramAsPostgresDoes() throws Exception {
    try (PgWireClient c = PgWireClient.open(node.port())) {
      c.sendRaw(PgWireClient.startupMessage(Map.of("user", "scram_user", "database", "postgres")));
      Message auth = c.read();
      assertThat(auth.type()).isEqualTo('R');
      // AuthenticationSASL (10) listing SCRAM-SHA-256, and no -PLUS on a plain connection.
      assertThat(java.nio.ByteBuffer.wrap(auth.body()).getInt()).isEqualTo(10);
      assertThat(new String(auth.body(), StandardCharsets.UTF_8)).contains("SCRAM-SHA-256").doesNotContain("PLUS");
    }
  }

  @Test
  void psqlWithPgpasswordConnectsForBothMethods() {
    for (String[] userAndPassword : new String[][] {{"scram_user", "scram-secret"}, {"md5_user", "md5-secret"}}) {
      Commands.Result r = Commands.run(
          List.of(Commands.pgProgram("psql"), "-X", "-At", "-h", "127.0.0.1", "-p", String.valueOf(node.port()),
              "-U", userAndPassword[0], "-d", "postgres", "-c", "select current_user"),
          Map.of("PGPASSWORD", userAndPassword[1], "PGSSLMODE", "disable"), null, Duration.ofSeconds(30));
      r.assertSuccess();
      assertThat(r.stdout().strip()).isEqualTo(userAndPassword[0]);
    }
  }

  @Test
  void wrongPasswordFailsWith28P01ExactlyAsPostgresSays() {
    for (String user : List.of("scram_user", "md5_user")) {
      PSQLException direct = catchThrowableOfType(PSQLException.class,
          () -> connect(node.postgresPort(), user, "wrong").close());
      PSQLException viaSidecar = catchThrowableOfType(PSQLException.class,
          () -> connect(node.port(), user, "wrong").close());
      assertThat((Throwable) direct).as("direct, " + user).isNotNull();
      assertThat((Throwable) viaSidecar).as("through the sidecar, " + user).isNotNull();
      assertThat(viaSidecar.getSQLState()).isEqualTo("28P01").isEqualTo(direct.getSQLState());
      assertThat(viaSidecar.getServerErrorMessage().getMessage())
          .isEqualTo(direct.getServerErrorMessage().getMessage())
          .isEqualTo("password authentication failed for user \"" + user + "\"");
    }
  }

  @Test
  void psqlWithWrongPasswordGetsPostgresMessage() {
    Commands.Result r = Commands.run(
        List.of(Commands.pgProgram("psql"), "-X", "-At", "-h", "127.0.0.1", "-p", String.valueOf(node.port()),
            "-U", "md5_user", "-d", "postgres", "-c", "select 1"),
        Map.of("PGPASSWORD", "wrong", "PGSSLMODE", "disable"), null, Duration.ofSeconds(30));
    assertThat(r.exitCode()).isNotZero();
    assertThat(r.stderr()).contains("password authentication failed for user \"md5_user\"");
  }

  @Test
  void aPasswordChangedInPostgresAppliesAtOnceThroughTheSidecar() throws SQLException {
    try (Connection c = connect(node.port(), "rotating_user", "first")) {
      assertThat(currentUser(c)).isEqualTo("rotating_user");
    }
    try (Connection admin = node.connectDirect(); Statement s = admin.createStatement()) {
      s.execute("alter role rotating_user password 'second'");
    }
    PSQLException old = catchThrowableOfType(PSQLException.class,
        () -> connect(node.port(), "rotating_user", "first").close());
    assertThat((Throwable) old).isNotNull();
    assertThat(old.getSQLState()).isEqualTo("28P01");
    try (Connection c = connect(node.port(), "rotating_user", "second")) {
      assertThat(currentUser(c)).isEqualTo("rotating_user");
    }
  }
}
