package io.pgmm.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgmm.it.support.Commands;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * pgbench's TPC-B-like script on all three nodes at once ({@code -M prepared}, so BEGIN and END
 * are prepared statements), retrying serialization failures with {@code --max-tries}; afterwards
 * every node holds the same four tables and no prepared transaction.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class PgbenchClusterTest {

  private static final int SCALE = 5;
  private static final int SECONDS = 15;
  private static final int CLIENTS_PER_NODE = 2;
  private static final int MAX_TRIES = 100;
  private static PgmmTestCluster cluster;

  @BeforeAll
  static void startCluster() {
    cluster = PgmmTestCluster.start(3);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static List<String> pgbench(int node, String... args) {
    List<String> command = new ArrayList<>(List.of(Commands.pgProgram("pgbench"), "-h", "127.0.0.1",
        "-p", String.valueOf(cluster.sidecarPort(node)), "-U", "postgres"));
    command.addAll(List.of(args));
    command.add("postgres");
    return command;
  }

  @Test
  void tpcbOnEveryNodeAtOnceEndsWithIdenticalTables() throws Exception {
    long started = System.nanoTime();
    Commands.Result init = Commands.run(pgbench(1, "-i", "-s", String.valueOf(SCALE)), Map.of("PGCONNECT_TIMEOUT", "10"),
        null, Duration.ofMinutes(3));
    System.out.println("[cluster-it] pgbench -i -s " + SCALE + " through node 1: exit " + init.exitCode() + " in "
        + (System.nanoTime() - started) / 1_000_000 + " ms\n" + init.stderr());
    init.assertSuccess();
    for (int i = 1; i <= 3; i++) {
      int node = i;
      await("pgbench_accounts on node " + node).atMost(Duration.ofSeconds(15)).untilAsserted(() ->
          assertThat(cluster.queryLong(node, "select count(*) from pgbench_accounts")).isEqualTo(SCALE * 100_000L));
    }

    List<Callable<Commands.Result>> runs = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      int node = i;
      runs.add(() -> Commands.run(pgbench(node, "-M", "prepared", "-c", String.valueOf(CLIENTS_PER_NODE),
              "-T", String.valueOf(SECONDS), "--max-tries=" + MAX_TRIES, "--failures-detailed", "-n"),
          Map.of("PGCONNECT_TIMEOUT", "10"), null, Duration.ofSeconds(SECONDS + 120)));
    }
    List<Commands.Result> results = PgmmTestCluster.inParallel(runs);
    for (int i = 0; i < 3; i++) {
      Commands.Result r = results.get(i);
      System.out.println("[cluster-it] pgbench on node " + (i + 1) + ": exit " + r.exitCode() + ", " + summary(r.stdout())
          + (r.stderr().isBlank() ? "" : "\n  stderr: " + firstLines(r.stderr(), 8)));
    }

    await("no prepared transaction left").atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
      for (int i = 1; i <= 3; i++) {
        assertThat(cluster.preparedXacts(i)).as("prepared transactions on node %d", i).isZero();
      }
    });
    assertSame("pgbench_accounts", "aid");
    assertSame("pgbench_branches", "bid");
    assertSame("pgbench_tellers", "tid");
    assertSame("pgbench_history", "tid, bid, aid, delta, mtime");
    for (int i = 0; i < 3; i++) {
      assertThat(results.get(i).exitCode()).as("pgbench exit on node %d (stderr: %s)", i + 1,
          firstLines(results.get(i).stderr(), 8)).isZero();
      assertThat(number(results.get(i).stdout(), "number of transactions actually processed: (\\d+)"))
          .as("transactions processed on node %d", i + 1).isPositive();
    }
    long history = cluster.queryLong(1, "select count(*) from pgbench_history");
    long processed = results.stream().mapToLong(r -> number(r.stdout(), "number of transactions actually processed: (\\d+)")).sum();
    assertThat(history).as("history rows = transactions pgbench counted as processed").isEqualTo(processed);
    System.out.println("[cluster-it] pgbench total: " + processed + " transactions, " + history + " history rows, "
        + (System.nanoTime() - started) / 1_000_000 + " ms including init");
  }

  private static void assertSame(String table, String orderBy) throws SQLException {
    String first = cluster.md5(1, table, orderBy);
    for (int i = 2; i <= 3; i++) {
      assertThat(cluster.md5(i, table, orderBy)).as("%s on node %d vs node 1", table, i).isEqualTo(first);
    }
  }

  private static long number(String out, String regex) {
    Matcher m = Pattern.compile(regex).matcher(out);
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }

  private static String summary(String out) {
    List<String> lines = new ArrayList<>();
    for (String line : out.split("\n")) {
      if (line.startsWith("number of") || line.startsWith("total number of") || line.startsWith("tps")
          || line.startsWith("latency average")) {
        lines.add(line.strip());
      }
    }
    return String.join("; ", lines);
  }

  private static String firstLines(String text, int n) {
    String[] lines = text.split("\n");
    return String.join("\n  ", java.util.Arrays.copyOf(lines, Math.min(n, lines.length)));
  }
}
