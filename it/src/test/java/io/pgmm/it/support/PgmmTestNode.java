package io.pgmm.it.support;

import io.pgmm.config.ClientsConfig;
import io.pgmm.config.ClusterConfig;
import io.pgmm.config.ReplicationConfig;
import io.pgmm.replication.ReplicationRuntime;
import io.pgmm.config.LimitsConfig;
import io.pgmm.config.ListenConfig;
import io.pgmm.config.NodeConfig;
import io.pgmm.config.PostgresConfig;
import io.pgmm.config.PostgresMode;
import io.pgmm.config.TlsConfig;
import io.pgmm.server.SidecarServer;
import io.pgmm.server.postgres.PostgresManager;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * A real PostgreSQL plus a sidecar in front of it, in this JVM, for one test class. {@link
 * #close()} stops both and removes the data, also when the test failed.
 */
public final class PgmmTestNode implements AutoCloseable {

  private final Path dir;
  private final PostgresManager postgres;
  private SidecarServer sidecar;
  private ReplicationRuntime replication;

  private PgmmTestNode(Path dir, PostgresManager postgres) {
    this.dir = dir;
    this.postgres = postgres;
  }

  /** PostgreSQL with trust on loopback and a sidecar with default settings. */
  public static PgmmTestNode start(String name) {
    return start(name, b -> { });
  }

  public static PgmmTestNode start(String name, java.util.function.Consumer<Options> customize) {
    Options options = new Options();
    customize.accept(options);
    Path dir = TestDirs.create(name);
    PostgresManager pg = PostgresManager.forTest(dir, Ports.free());
    PgmmTestNode node = new PgmmTestNode(dir, pg);
    try {
      pg.ensureStarted();
      node.startSidecar(options);
      return node;
    } catch (Exception e) {
      node.close();
      throw new IllegalStateException("could not start test node " + name, e);
    }
  }

  /** What a test may change about the sidecar. */
  public static final class Options {
    public TlsConfig tls;
    public List<String> allow = ClientsConfig.DEFAULT_ALLOW;
    public int maxMessageBytes = LimitsConfig.DEFAULT_MAX_MESSAGE_BYTES;
    public int maxConnections = LimitsConfig.DEFAULT_MAX_CONNECTIONS;
    public long shutdownGraceMillis = 2_000;
    /**
     * Runs the node as a cluster of one: every write of database postgres goes through the
     * distributed commit (PREPARE TRANSACTION, the decision log, COMMIT PREPARED), so the
     * client-compatibility tests also cover the transaction interceptor. Defaults to the system
     * property {@code pgmm.it.replicated}, which the second surefire execution of it/ sets.
     */
    public boolean replicated = Boolean.getBoolean("pgmm.it.replicated");
    /** Relay to PostgreSQL over its Unix-domain socket, as a node with a managed PostgreSQL does. */
    public boolean unixSocket;
  }

  private void startSidecar(Options o) throws Exception {
    ClusterConfig cluster = o.replicated ? new ClusterConfig("127.0.0.1", Ports.free(), "it-secret-0123456789abcdef", List.of()) : null;
    NodeConfig config = new NodeConfig(1, new ListenConfig("127.0.0.1", 0), dir,
        new PostgresConfig(PostgresMode.EXTERNAL, "127.0.0.1", postgres.port(), "postgres", null, false, Map.of()),
        o.tls, new ClientsConfig(o.allow),
        new LimitsConfig(o.maxMessageBytes, o.maxConnections, o.shutdownGraceMillis, LimitsConfig.DEFAULT_STARTUP_TIMEOUT_MILLIS),
        cluster, ReplicationConfig.defaults());
    if (o.replicated) {
      Properties props = new Properties();
      props.setProperty("user", "postgres");
      if (postgres.password() != null) {
        props.setProperty("password", postgres.password());
      }
      replication = ReplicationRuntime.start(config, directJdbcUrl(), props);
    }
    java.net.SocketAddress backend = o.unixSocket
        ? new io.netty.channel.unix.DomainSocketAddress(postgres.socketFile().toString())
        : new InetSocketAddress("127.0.0.1", postgres.port());
    sidecar = new SidecarServer(config, backend, replication == null ? null : replication.commit());
    if (replication != null) {
      replication.attach(sidecar.registry().localSessions());
    }
    sidecar.start();
  }

  /** Whether writes through this node's sidecar go through the distributed commit. */
  public boolean replicated() {
    return replication != null;
  }

  /** The sidecar's client port. */
  public int port() {
    return sidecar.port();
  }

  /** The PostgreSQL behind the sidecar, for direct comparisons and checks. */
  public int postgresPort() {
    return postgres.port();
  }

  public SidecarServer sidecar() {
    return sidecar;
  }

  public Path dir() {
    return dir;
  }

  public String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port() + "/postgres";
  }

  public String directJdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + postgresPort() + "/postgres";
  }

  public Connection connect() throws SQLException {
    return connect(new Properties());
  }

  public Connection connect(Properties extra) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", "postgres");
    p.putAll(extra);
    return DriverManager.getConnection(jdbcUrl(), p);
  }

  public Connection connectDirect() throws SQLException {
    return DriverManager.getConnection(directJdbcUrl(), "postgres", "");
  }

  /** Stops the sidecar alone, as SIGTERM does, draining for up to {@code grace}. */
  public void stopSidecar(Duration grace) throws InterruptedException {
    if (sidecar != null) {
      sidecar.shutdown(grace);
    }
  }

  @Override
  public void close() {
    try {
      if (sidecar != null) {
        sidecar.shutdown(Duration.ZERO);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      if (replication != null) {
        replication.close();
      }
      postgres.close();
      TestDirs.deleteQuietly(dir);
    }
  }
}
