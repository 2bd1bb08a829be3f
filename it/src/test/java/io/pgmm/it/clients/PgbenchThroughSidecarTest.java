package io.pgmm.it.clients;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgmm.it.support.Commands;
import io.pgmm.it.support.PgmmTestNode;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * pgbench through the sidecar: the initial load (COPY of a million rows) and the TPC-B-like
 * workload in all three query modes, with no failed transaction.
 */
class PgbenchThroughSidecarTest {

  private static final String DATABASE = "bench";
  private static final int CLIENTS = 4;
  private static final int TRANSACTIONS_PER_CLIENT = 200;
  private static final Duration TIMEOUT = Duration.ofMinutes(5);

  private static PgmmTestNode node;
  private static Commands.Result init;

  @BeforeAll
  static void startNodeAndInitialise() throws Exception {
    node = PgmmTestNode.start("pgbench");
    try (Connection c = node.connectDirect(); Statement s = c.createStatement()) {
      s.execute("create database " + DATABASE);
    }
    init = Commands.run(pgbench(node.port(), "-i", "-s", "10"), TIMEOUT);
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void initialisationThroughSidecarLoadsScaleTen() throws Exception {
    init.assertSuccess();
    assertThat(init.stderr()).contains("done in").doesNotContain("ERROR", "FATAL");
    try (Connection c = java.sql.DriverManager.getConnection(
            "jdbc:postgresql://127.0.0.1:" + node.postgresPort() + "/" + DATABASE, "postgres", "");
        Statement s = c.createStatement()) {
      assertThat(count(s, "select count(*) from pgbench_accounts")).isEqualTo(1_000_000L);
      assertThat(count(s, "select count(*) from pgbench_branches")).isEqualTo(10L);
      assertThat(count(s, "select count(*) from pgbench_tellers")).isEqualTo(100L);
      assertThat(count(s, "select count(distinct aid) from pgbench_accounts")).isEqualTo(1_000_000L);
    }
  }

  @ParameterizedTest(name = "-M {0}")
  @ValueSource(strings = {"simple", "extended", "prepared"})
  void workloadRunsWithoutFailedTransactions(String mode) {
    init.assertSuccess();
    List<String> run = List.of("-M", mode, "-c", Integer.toString(CLIENTS), "-j", "2",
        "-t", Integer.toString(TRANSACTIONS_PER_CLIENT), "-n");

    Commands.Result proxied = Commands.run(pgbench(node.port(), run.toArray(String[]::new)), TIMEOUT);
    Commands.Result direct = Commands.run(pgbench(node.postgresPort(), run.toArray(String[]::new)), TIMEOUT);

    proxied.assertSuccess();
    int expected = CLIENTS * TRANSACTIONS_PER_CLIENT;
    assertThat(proxied.stdout())
        .contains("query mode: " + mode)
        .contains("number of transactions actually processed: " + expected + "/" + expected)
        .contains("number of failed transactions: 0 (0.000%)");
    assertThat(proxied.stderr()).doesNotContain("ERROR", "FATAL", "error");
    System.out.printf("pgbench -M %s: sidecar %s tps, direct %s tps%n", mode, tps(proxied), tps(direct));
  }

  private static List<String> pgbench(int port, String... args) {
    List<String> cmd = new ArrayList<>(List.of(Commands.pgProgram("pgbench"),
        "-h", "127.0.0.1", "-p", Integer.toString(port), "-U", "postgres"));
    cmd.addAll(List.of(args));
    cmd.add(DATABASE);
    return cmd;
  }

  private static String tps(Commands.Result r) {
    Matcher m = Pattern.compile("tps = ([0-9.]+)").matcher(r.stdout());
    return m.find() ? m.group(1) : "?";
  }

  private static long count(Statement s, String sql) throws Exception {
    try (ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
