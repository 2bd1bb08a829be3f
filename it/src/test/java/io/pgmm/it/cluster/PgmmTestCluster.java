package io.pgmm.it.cluster;

import static org.awaitility.Awaitility.await;

import io.pgmm.config.ClientsConfig;
import io.pgmm.config.ClusterConfig;
import io.pgmm.config.LimitsConfig;
import io.pgmm.config.ListenConfig;
import io.pgmm.config.NodeConfig;
import io.pgmm.config.PeerConfig;
import io.pgmm.config.PostgresConfig;
import io.pgmm.config.PostgresMode;
import io.pgmm.config.ReadConsistency;
import io.pgmm.config.ReplicationConfig;
import io.pgmm.it.support.Ports;
import io.pgmm.it.support.TestDirs;
import io.pgmm.replication.ReplicationRuntime;
import io.pgmm.server.SidecarServer;
import io.pgmm.server.postgres.PostgresManager;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * N real nodes on loopback in this JVM: for each a test PostgreSQL, a {@link ReplicationRuntime}
 * and a {@link SidecarServer}, all peers of each other. Nodes are numbered from 1, as their node
 * ids. {@link #close()} stops everything and deletes the data, also after a failed start.
 */
public final class PgmmTestCluster implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(PgmmTestCluster.class);
  static final String SECRET = "a-test-secret-of-enough-length";
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(60);
  /** pgjdbc's socketTimeout for client connections: no single statement or commit in these tests takes longer. */
  static final int SOCKET_TIMEOUT_SECONDS = 60;

  /** One node's parts; the runtime and the sidecar are null once stopped. */
  private static final class Node {
    final int id;
    final Path dir;
    final PostgresManager postgres;
    final int peerPort;
    NodeConfig config;
    ReplicationRuntime runtime;
    SidecarServer sidecar;

    Node(int id, Path dir, PostgresManager postgres, int peerPort) {
      this.id = id;
      this.dir = dir;
      this.postgres = postgres;
      this.peerPort = peerPort;
    }
  }

  private final List<Node> nodes = new ArrayList<>();

  private PgmmTestCluster() {}

  /** Starts {@code size} nodes and waits until every node is connected to every peer. */
  public static PgmmTestCluster start(int size) {
    PgmmTestCluster cluster = new PgmmTestCluster();
    try {
      for (int i = 1; i <= size; i++) {
        Path dir = TestDirs.create("cluster-n" + i);
        PostgresManager pg = PostgresManager.forTest(dir, Ports.free());
        cluster.nodes.add(new Node(i, dir, pg, Ports.free()));
      }
      // initdb and start in parallel: the slowest part of a cluster start.
      ExecutorService pool = Executors.newFixedThreadPool(size);
      try {
        List<Future<?>> started = new ArrayList<>();
        for (Node n : cluster.nodes) {
          started.add(pool.submit(() -> n.postgres.ensureStarted()));
        }
        for (Future<?> f : started) {
          f.get();
        }
      } finally {
        pool.shutdownNow();
      }
      for (Node n : cluster.nodes) {
        cluster.startSidecar(n);
      }
      cluster.awaitConnected();
      return cluster;
    } catch (Exception e) {
      cluster.close();
      throw new IllegalStateException("could not start a " + size + "-node test cluster", e);
    } catch (Error e) {
      cluster.close();
      throw e;
    }
  }

  private void startSidecar(Node n) throws Exception {
    List<PeerConfig> peers = new ArrayList<>();
    for (Node other : nodes) {
      if (other.id != n.id) {
        peers.add(new PeerConfig(other.id, "127.0.0.1", other.peerPort));
      }
    }
    int pgPort = n.postgres.port();
    n.config = new NodeConfig(n.id, new ListenConfig("127.0.0.1", 0), n.dir,
        new PostgresConfig(PostgresMode.EXTERNAL, "127.0.0.1", pgPort, "postgres", null, false, Map.of()),
        null, ClientsConfig.defaults(), LimitsConfig.defaults(),
        new ClusterConfig("127.0.0.1", n.peerPort, SECRET, peers),
        new ReplicationConfig(8, 64, ReadConsistency.GLOBAL, 5000, 1000, 16, "postgres"));
    n.runtime = ReplicationRuntime.start(n.config, "jdbc:postgresql://127.0.0.1:" + pgPort + "/postgres", superuser(n));
    n.sidecar = new SidecarServer(n.config, new InetSocketAddress("127.0.0.1", pgPort), n.runtime.commit());
    n.runtime.attach(n.sidecar.registry().localSessions());
    n.sidecar.start();
    log.info("test node {}: sidecar {}, postgres {}, peer port {}", n.id, n.sidecar.port(), pgPort, n.peerPort);
  }

  /** The superuser's password of node {@code i}'s PostgreSQL (null: it trusts loopback), for clients such as psql. */
  public String password(int i) {
    return node(i).postgres.password();
  }

  private static Properties superuser(Node n) {
    Properties p = new Properties();
    p.setProperty("user", "postgres");
    String password = n.postgres.password();
    if (password != null) {
      p.setProperty("password", password);
    }
    p.setProperty("ApplicationName", "pgmm-sidecar");
    return p;
  }

  /** Waits until every running node sees every peer it is configured with. */
  public void awaitConnected() {
    await("every node connected to its peers").atMost(CONNECT_TIMEOUT).pollInterval(Duration.ofMillis(100))
        .until(() -> nodes.stream().filter(n -> n.runtime != null)
            .allMatch(n -> n.runtime.commit().unavailableReason() == null));
  }

  public int size() {
    return nodes.size();
  }

  private Node node(int i) {
    return nodes.get(i - 1);
  }

  public ReplicationRuntime runtime(int i) {
    return node(i).runtime;
  }

  public int sidecarPort(int i) {
    return node(i).sidecar.port();
  }

  public int postgresPort(int i) {
    return node(i).postgres.port();
  }

  public String jdbcUrl(int i) {
    return "jdbc:postgresql://127.0.0.1:" + sidecarPort(i) + "/postgres";
  }

  /** A JDBC connection through node {@code i}'s sidecar. */
  public Connection connect(int i) throws SQLException {
    return connect(i, new Properties());
  }

  public Connection connect(int i, Properties extra) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", "postgres");
    // A wedged node must fail the test, not hang it.
    p.setProperty("socketTimeout", String.valueOf(SOCKET_TIMEOUT_SECONDS));
    p.setProperty("connectTimeout", "10");
    p.setProperty("loginTimeout", String.valueOf(SOCKET_TIMEOUT_SECONDS));
    p.putAll(extra);
    return DriverManager.getConnection(jdbcUrl(i), p);
  }

  /** A JDBC connection straight to node {@code i}'s PostgreSQL, for checks. */
  public Connection connectDirect(int i) throws SQLException {
    Properties p = superuser(node(i));
    p.setProperty("ApplicationName", "pgmm-it-check");
    p.setProperty("socketTimeout", String.valueOf(SOCKET_TIMEOUT_SECONDS));
    return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + postgresPort(i) + "/postgres", p);
  }

  /** md5 of the whole table on node {@code i}, rows as text in {@code orderBy} order (direct). */
  public String md5(int i, String table, String orderBy) throws SQLException {
    return queryString(i, "select coalesce(md5(string_agg(t::text, ',' order by " + orderBy + ")), 'empty') from "
        + table + " t");
  }

  /** Rows in pg_prepared_xacts on node {@code i} (direct). */
  public long preparedXacts(int i) throws SQLException {
    return queryLong(i, "select count(*) from pg_prepared_xacts");
  }

  /** The first column of the first row of {@code sql} on node {@code i} (direct). */
  public long queryLong(int i, String sql) throws SQLException {
    try (Connection c = connectDirect(i); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  public String queryString(int i, String sql) throws SQLException {
    try (Connection c = connectDirect(i); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  /** Whether a table of that name exists on node {@code i} (direct). */
  public boolean tableExists(int i, String table) throws SQLException {
    return queryString(i, "select to_regclass('" + table + "')::text") != null;
  }

  /** Runs {@code sql} through node {@code i}'s sidecar in autocommit. */
  public void execute(int i, String sql) throws SQLException {
    try (Connection c = connect(i); Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  /** Stops node {@code i}'s sidecar and replication runtime; its PostgreSQL keeps running. */
  public void stopSidecar(int i) {
    Node n = node(i);
    stopSidecar(n);
  }

  private static void stopSidecar(Node n) {
    try {
      if (n.sidecar != null) {
        n.sidecar.shutdown(Duration.ZERO);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      log.warn("stopping the sidecar of node {} failed", n.id, e);
    } finally {
      n.sidecar = null;
      try {
        if (n.runtime != null) {
          n.runtime.close();
        }
      } catch (RuntimeException e) {
        log.warn("stopping the runtime of node {} failed", n.id, e);
      }
      n.runtime = null;
    }
  }

  /** Runs the tasks on threads of their own and returns their results in order, rethrowing the first failure. */
  static <T> List<T> inParallel(List<Callable<T>> tasks) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(tasks.size());
    try {
      List<Future<T>> futures = new ArrayList<>();
      for (Callable<T> t : tasks) {
        futures.add(pool.submit(t));
      }
      List<T> results = new ArrayList<>();
      for (Future<T> f : futures) {
        results.add(f.get());
      }
      return results;
    } finally {
      pool.shutdownNow();
    }
  }

  @Override
  public void close() {
    for (Node n : nodes) {
      stopSidecar(n);
    }
    for (Node n : nodes) {
      try {
        n.postgres.close();
      } catch (RuntimeException e) {
        log.warn("stopping PostgreSQL of node {} failed", n.id, e);
      } finally {
        TestDirs.deleteQuietly(n.dir);
      }
    }
  }
}
