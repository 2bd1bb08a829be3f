package io.pgmm.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgmm.it.support.Commands;
import io.pgmm.it.support.TestDirs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A transaction several times larger than the sidecars' heap (issue 4: "a 1 GB transaction must
 * pass with sidecars at -Xmx256m"): a 3-node cluster started by {@code scripts/cluster}, so each
 * sidecar is a JVM of its own with a small {@code -Xmx}, and one INSERT … SELECT of
 * {@code pgmm.it.largeTx.bytes} of rows through node 1, committed once. Afterwards every node holds
 * the same rows (count and md5 compared in SQL, nothing large comes to this JVM), nothing stays
 * prepared, every sidecar still runs and none logged an OutOfMemoryError.
 *
 * <p>System properties (defaults fit CI: 2 cores, a few minutes):
 * <ul>
 *   <li>{@code pgmm.it.largeTx.bytes}: payload bytes inserted (default 512 MiB)
 *   <li>{@code pgmm.it.largeTx.heap}: the sidecars' {@code -Xmx} (default 128m; keep bytes ≥ 4× heap)
 *   <li>{@code pgmm.it.largeTx.rowBytes}: payload bytes per row, a multiple of 32 (default 1024:
 *       below TOAST's threshold, so PostgreSQL neither compresses nor moves the values out of line
 *       and the WAL really carries the bytes)
 *   <li>{@code pgmm.it.largeTx.bigValueBytes}: bytes of one extra row with a single large value,
 *       in the same transaction (default 4 MiB: more than one peer frame's worth of changes)
 *   <li>{@code pgmm.it.largeTx.port}: client port of node 1 (default: the first free block from
 *       8400); node i listens on port + i - 1, its peer transport on port + 50 + i - 1 and its
 *       PostgreSQL on port + 10000 + i - 1
 * </ul>
 *
 * <p>Run the size with {@code mvn surefire:test@default-test -pl it -o
 * -Dtest=LargeTransactionTest -Dpgmm.it.largeTx.bytes=1073741824 -Dpgmm.it.largeTx.heap=256m}. The
 * nodes' logs are copied to {@code target/large-tx/} before the cluster is removed.
 */
@Timeout(value = 60, unit = TimeUnit.MINUTES) // the real bounds below grow with the size
class LargeTransactionTest {

  private static final int NODES = 3;
  private static final long MIB = 1L << 20;
  private static final long BYTES = Long.getLong("pgmm.it.largeTx.bytes", 512 * MIB);
  private static final String HEAP = System.getProperty("pgmm.it.largeTx.heap", "128m");
  private static final int ROW_BYTES = Integer.getInteger("pgmm.it.largeTx.rowBytes", 1024);
  private static final int BIG_VALUE_BYTES = Integer.getInteger("pgmm.it.largeTx.bigValueBytes", (int) (4 * MIB));
  private static final int FIRST_PORT = 8400;
  /** Peer transports listen next to the client ports, not at scripts/cluster's +1000: two port bands suffice. */
  private static final int PEER_PORT_OFFSET = 50;
  private static final int PG_PORT_OFFSET = 10_000;
  /**
   * How long the insert, its commit and the peers' catching up may each take: generous on a busy
   * two-core machine (measured rates are printed), so a failure means stuck, not slow.
   */
  private static final Duration BUDGET = Duration.ofSeconds(180 + BYTES / MIB);

  private static final Path REPO = repoRoot();
  private static final Path SCRIPT = REPO.resolve("scripts/cluster");
  private static final Path LOG_COPIES = REPO.resolve("it/target/large-tx");

  private static Path dir;
  private static int basePort;

  @BeforeAll
  static void startCluster() throws Exception {
    assertThat(ROW_BYTES % 32).as("pgmm.it.largeTx.rowBytes must be a multiple of 32").isZero();
    assertThat(BIG_VALUE_BYTES % 32).as("pgmm.it.largeTx.bigValueBytes must be a multiple of 32").isZero();
    assertThat(Files.isRegularFile(REPO.resolve("server/target/pgmm-server-0.1.0-SNAPSHOT.jar")))
        .as("the server jar (mvn package builds it before this module's tests)").isTrue();
    dir = TestDirs.create("large-tx");
    basePort = Integer.getInteger("pgmm.it.largeTx.port", freeBasePort());
    writeConfigs();
    String javaOpts = "-Xmx" + HEAP + " -Xlog:gc:file=gc.log -XX:+HeapDumpOnOutOfMemoryError -XX:HeapDumpPath="
        + Files.createDirectories(LOG_COPIES);
    System.out.println("[large-tx] " + mib(BYTES) + " MiB in rows of " + ROW_BYTES + " bytes (+ one value of "
        + BIG_VALUE_BYTES + " bytes) through a " + NODES + "-node cluster, sidecars at -Xmx" + HEAP + ", ports "
        + basePort + ".., dir " + dir);
    long t0 = System.nanoTime();
    Commands.Result up = Commands.run(List.of(SCRIPT.toString(), "up", "--dir", dir.toString(), "--nodes",
            String.valueOf(NODES), "--port", String.valueOf(basePort), "--no-build", "--timeout", "180"),
        Map.of("PGMM_JAVA_OPTS", javaOpts), REPO, Duration.ofMinutes(10));
    System.out.println("[large-tx] scripts/cluster up: exit " + up.exitCode() + " in " + secondsSince(t0) + " s\n"
        + up.stdout() + up.stderr());
    up.assertSuccess();
  }

  @AfterAll
  static void stopCluster() throws IOException {
    if (dir == null) {
      return;
    }
    try {
      copyLogs();
    } finally {
      Commands.Result down = Commands.run(List.of(SCRIPT.toString(), "down", "--dir", dir.toString(), "--purge"),
          Map.of(), REPO, Duration.ofMinutes(3));
      System.out.println("[large-tx] scripts/cluster down: exit " + down.exitCode() + "\n" + down.stdout()
          + down.stderr());
      TestDirs.deleteQuietly(dir);
    }
  }

  @Test
  void transactionSeveralTimesTheHeapCommitsOnEveryNode() throws Exception {
    long rows = BYTES / ROW_BYTES;
    // Writes need every peer connected: the first DDL is retried until the transports are up.
    await("node 1 accepts a replicated write").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
        .ignoreExceptions().untilAsserted(() -> {
          try (Connection c = connect(1, 30); Statement s = c.createStatement()) {
            s.execute("create table if not exists big (id bigint primary key, payload text not null)");
          }
        });
    executeOnNode1("create table if not exists small (id bigint primary key)");

    long t0 = System.nanoTime();
    SmallWriter small = new SmallWriter();
    try (Connection c = connect(1, BUDGET.toSeconds()); Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      int inserted = s.executeUpdate("insert into big select g, repeat(md5(g::text), " + ROW_BYTES / 32
          + ") from generate_series(1, " + rows + ") g");
      assertThat((long) inserted).isEqualTo(rows);
      // One value bigger than a chunk of changes on the peer link, in the same transaction.
      assertThat(s.executeUpdate("insert into big values (0, repeat(md5('big'), " + BIG_VALUE_BYTES / 32 + "))"))
          .isEqualTo(1);
      System.out.println("[large-tx] inserted " + (rows + 1) + " rows (" + mib(BYTES + BIG_VALUE_BYTES)
          + " MiB) in " + millisSince(t0) / 1000.0 + " s; committing");
      long c0 = System.nanoTime();
      // Small writes on the same node meanwhile queue behind the large one in the slot (no
      // streaming yet): they wait, but they must not fail.
      small.start();
      try {
        c.commit(); // throws on 40001/57P03/08007: the commit must succeed
      } finally {
        small.stop();
      }
      System.out.println("[large-tx] commit through the cluster took " + millisSince(c0) / 1000.0 + " s; meanwhile "
          + small.committed + " small inserts on node 1 committed, the slowest in " + small.slowestMillis + " ms");
      assertThat(small.failures).as("small inserts on node 1 during the large commit").isEmpty();
      assertThat(small.committed).isPositive();
    }
    long committedAt = System.nanoTime();

    // The client heard COMMIT once it was committed here and every node held the decision; the
    // peers commit their prepared copy when the Decision reaches them.
    for (int i = 1; i <= NODES; i++) {
      int node = i;
      await("nothing prepared on node " + node).atMost(BUDGET).pollInterval(Duration.ofMillis(200))
          .until(() -> queryString(node, "select count(*) from pg_prepared_xacts").equals("0"));
    }
    System.out.println("[large-tx] committed on every node " + millisSince(committedAt) / 1000.0
        + " s after the client's COMMIT returned, " + millisSince(t0) / 1000.0 + " s after the insert began");
    String expected = fingerprint(1);
    System.out.println("[large-tx] node 1: " + expected);
    assertThat(expected).startsWith((rows + 1) + " rows, " + (BYTES + BIG_VALUE_BYTES) + " bytes");
    for (int i = 2; i <= NODES; i++) {
      String actual = fingerprint(i);
      System.out.println("[large-tx] node " + i + ": " + actual);
      assertThat(actual).as("rows on node " + i).isEqualTo(expected);
    }

    for (int i = 1; i <= NODES; i++) {
      int node = i;
      await("small rows on node " + node).atMost(Duration.ofSeconds(30)).until(() ->
          queryString(node, "select count(*) from small").equals(String.valueOf(small.committed)));
    }

    for (int i = 1; i <= NODES; i++) {
      Path nodeDir = dir.resolve("node" + i);
      long pid = Long.parseLong(Files.readString(nodeDir.resolve("node.pid")).trim());
      assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).as("sidecar of node " + i + " (pid " + pid
          + ") is running").contains(true);
      System.out.println("[large-tx] sidecar of node " + i + ": peak RSS " + peakRssMib(pid) + " MiB, heap at most "
          + peakHeap(nodeDir.resolve("gc.log")));
      String log = Files.readString(nodeDir.resolve("node.log"), StandardCharsets.UTF_8);
      assertThat(log).as("node " + i + "'s log").doesNotContain("OutOfMemoryError");
    }
  }

  // ---------------------------------------------------------------------------------------------

  /** Autocommit single-row inserts through node 1, one after another, until stopped. */
  private static final class SmallWriter {
    final List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    volatile long committed;
    volatile long slowestMillis;
    private volatile boolean running = true;
    private final Thread thread = new Thread(this::run, "large-tx-small-writer");

    void start() {
      thread.start();
    }

    void stop() throws InterruptedException {
      running = false;
      thread.join(BUDGET.toMillis());
    }

    private void run() {
      try (Connection c = connect(1, BUDGET.toSeconds()); Statement s = c.createStatement()) {
        for (long id = 1; running; id++) {
          long t0 = System.nanoTime();
          try {
            s.executeUpdate("insert into small values (" + id + ")");
            committed++;
            slowestMillis = Math.max(slowestMillis, millisSince(t0));
          } catch (SQLException e) {
            failures.add(e.getSQLState() + " " + e.getMessage());
          }
          Thread.sleep(200);
        }
      } catch (SQLException | InterruptedException e) {
        failures.add(e.toString());
      }
    }
  }

  private static void executeOnNode1(String sql) throws SQLException {
    try (Connection c = connect(1, 60); Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  /** Rows, payload bytes and an md5 over the rows in id order, computed by PostgreSQL (direct). */
  private static String fingerprint(int node) throws SQLException {
    return queryString(node, "select count(*) || ' rows, ' || sum(length(payload)) || ' bytes, md5 '"
        + " || md5(string_agg(md5(id::text || ':' || payload), '' order by id)) from big");
  }

  private static String queryString(int node, String sql) throws SQLException {
    try (Connection c = connectDirect(node); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  /** Through node {@code node}'s sidecar. */
  private static Connection connect(int node, long socketTimeoutSeconds) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", "postgres");
    p.setProperty("connectTimeout", "10");
    p.setProperty("socketTimeout", String.valueOf(socketTimeoutSeconds));
    return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + (basePort + node - 1) + "/postgres", p);
  }

  /** Straight to node {@code node}'s PostgreSQL (it trusts loopback), for checks. */
  private static Connection connectDirect(int node) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", "postgres");
    p.setProperty("connectTimeout", "10");
    p.setProperty("socketTimeout", String.valueOf(BUDGET.toSeconds()));
    p.setProperty("ApplicationName", "pgmm-it-check");
    return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + (basePort + PG_PORT_OFFSET + node - 1)
        + "/postgres", p);
  }

  /**
   * The nodes' configs, in the form scripts/cluster writes them (it starts nodes from configs it
   * finds), with the peer ports moved next to the client ports.
   */
  private static void writeConfigs() throws IOException {
    byte[] secret = new byte[24];
    ThreadLocalRandom.current().nextBytes(secret);
    for (int i = 1; i <= NODES; i++) {
      Path nodeDir = Files.createDirectories(dir.resolve("node" + i));
      StringBuilder peers = new StringBuilder();
      for (int j = 1; j <= NODES; j++) {
        if (j != i) {
          peers.append("    - { nodeId: ").append(j).append(", host: 127.0.0.1, peerPort: ")
              .append(basePort + PEER_PORT_OFFSET + j - 1).append(" }\n");
        }
      }
      Files.writeString(nodeDir.resolve("pgmm.yaml"), "# pgmm node " + i + ", written by LargeTransactionTest\n"
          + "nodeId: " + i + "\n"
          + "listen: { host: 127.0.0.1, port: " + (basePort + i - 1) + " }\n"
          + "dataDir: " + nodeDir + "\n"
          + "postgres: { mode: managed, port: " + (basePort + PG_PORT_OFFSET + i - 1)
          + ", user: postgres, trustLoopback: true, settings: { shared_buffers: \"128MB\" } }\n"
          + "clients: { allow: [127.0.0.0/8, \"::1/128\"] }\n"
          + "limits: { maxConnections: 1000, shutdownGraceMillis: 10000 }\n"
          + "cluster:\n"
          + "  peerPort: " + (basePort + PEER_PORT_OFFSET + i - 1) + "\n"
          + "  secret: \"" + HexFormat.of().formatHex(secret) + "\"\n"
          + "  peers:\n" + peers);
    }
  }

  /** The first base port from {@value #FIRST_PORT} whose client, peer and PostgreSQL ports are all free. */
  private static int freeBasePort() {
    for (int base = FIRST_PORT; base < FIRST_PORT + PEER_PORT_OFFSET - NODES; base += NODES) {
      boolean free = true;
      for (int i = 0; i < NODES && free; i++) {
        free = isFree(base + i) && isFree(base + PEER_PORT_OFFSET + i) && isFree(base + PG_PORT_OFFSET + i);
      }
      if (free) {
        return base;
      }
    }
    throw new IllegalStateException("no free block of ports from " + FIRST_PORT + "; set pgmm.it.largeTx.port");
  }

  private static boolean isFree(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(false);
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      return true;
    } catch (IOException taken) {
      return false;
    }
  }

  /** The repository's root: surefire runs in it/, an IDE may run in the root. */
  private static Path repoRoot() {
    Path here = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    for (Path p = here; p != null; p = p.getParent()) {
      if (Files.isExecutable(p.resolve("scripts/cluster"))) {
        return p;
      }
    }
    throw new IllegalStateException("scripts/cluster not found above " + here);
  }

  private static void copyLogs() throws IOException {
    Files.createDirectories(LOG_COPIES);
    for (int i = 1; i <= NODES; i++) {
      for (String name : List.of("node.log", "gc.log")) {
        Path from = dir.resolve("node" + i).resolve(name);
        if (Files.exists(from)) {
          Files.copy(from, LOG_COPIES.resolve("node" + i + "-" + name), StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }

  /** VmHWM: the most resident memory the process ever had. */
  private static String peakRssMib(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmHWM:")) {
          return String.valueOf(Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024);
        }
      }
      return "?";
    } catch (IOException | NumberFormatException e) {
      return "?";
    }
  }

  private static final Pattern GC_LINE = Pattern.compile("(\\d+)M->(\\d+)M\\((\\d+)M\\)");

  /**
   * From a unified GC log ({@code -Xlog:gc}): the most heap in use before a collection (how full
   * the collector let it get) and after one (what was still reachable).
   */
  private static String peakHeap(Path gcLog) {
    try {
      long before = -1;
      long after = -1;
      List<String> lines = Files.exists(gcLog) ? Files.readAllLines(gcLog) : new ArrayList<>();
      for (String line : lines) {
        Matcher m = GC_LINE.matcher(line);
        if (m.find()) {
          before = Math.max(before, Long.parseLong(m.group(1)));
          after = Math.max(after, Long.parseLong(m.group(2)));
        }
      }
      return before < 0 ? "? (no GC logged)" : before + " MiB before a GC, " + after + " MiB after one";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static long mib(long bytes) {
    return bytes / MIB;
  }

  private static long millisSince(long nanos) {
    return (System.nanoTime() - nanos) / 1_000_000;
  }

  private static long secondsSince(long nanos) {
    return millisSince(nanos) / 1000;
  }
}
