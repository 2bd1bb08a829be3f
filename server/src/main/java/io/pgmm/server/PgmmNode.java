package io.pgmm.server;

import io.pgmm.config.ConfigException;
import io.pgmm.config.NodeConfig;
import io.pgmm.config.NodeConfigLoader;
import io.pgmm.config.PostgresMode;
import io.pgmm.replication.ReplicationRuntime;
import io.pgmm.server.postgres.PostgresManager;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.unix.DomainSocketAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A pgmm node: the local PostgreSQL (started here when managed) and the sidecar in front of it.
 * SIGTERM drains client sessions, stops the managed PostgreSQL and exits.
 */
@Command(name = "pgmm-node", mixinStandardHelpOptions = true,
    description = "Runs one pgmm node: a PostgreSQL-compatible sidecar in front of a local PostgreSQL.")
public final class PgmmNode implements Callable<Integer> {

  private static final Logger log = LoggerFactory.getLogger(PgmmNode.class);

  @Option(names = {"-c", "--config"}, required = true, description = "the node's YAML configuration")
  private Path configFile;

  private final CountDownLatch stopped = new CountDownLatch(1);

  public static void main(String[] args) {
    System.exit(new CommandLine(new PgmmNode()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    NodeConfig config;
    try {
      config = NodeConfigLoader.load(configFile);
    } catch (ConfigException e) {
      System.err.println("pgmm: invalid configuration " + configFile + ": " + e.getMessage());
      return 2;
    }
    PostgresManager postgres = null;
    InetSocketAddress backend;
    if (config.postgres().mode() == PostgresMode.MANAGED) {
      postgres = new PostgresManager(config.postgres(), config.dataDir(), Duration.ofMillis(config.limits().startupTimeoutMillis()));
      postgres.start();
      backend = new InetSocketAddress(postgres.host(), postgres.port());
    } else {
      backend = new InetSocketAddress(config.postgres().host(), config.postgres().port());
    }
    ReplicationRuntime replication = null;
    if (config.cluster() != null) {
      replication = ReplicationRuntime.start(config, jdbcUrl(config, backend), credentials(config, postgres));
    }
    // Relay over a managed PostgreSQL's Unix-domain socket: less kernel work per round trip than TCP
    // loopback, in the sidecar and in PostgreSQL. TCP without epoll, or for an external PostgreSQL.
    SocketAddress relayBackend = postgres != null && Epoll.isAvailable()
        ? new DomainSocketAddress(postgres.socketFile().toString())
        : backend;
    SidecarServer server = new SidecarServer(config, relayBackend, replication == null ? null : replication.commit());
    PostgresManager managed = postgres;
    ReplicationRuntime cluster = replication;
    Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(config, server, cluster, managed), "pgmm-shutdown"));
    if (replication != null) {
      replication.attach(server.registry().localSessions());
    }
    try {
      server.start();
    } catch (Exception e) {
      log.error("could not start the sidecar on {}:{}: {}", config.listen().host(), config.listen().port(), e.toString());
      return 1;
    }
    System.out.println("pgmm node " + config.nodeId() + " ready: psql -h " + config.listen().host() + " -p " + server.port());
    stopped.await();
    return 0;
  }

  private static String jdbcUrl(NodeConfig config, InetSocketAddress backend) {
    return "jdbc:postgresql://" + backend.getHostString() + ":" + backend.getPort() + "/" + config.replication().database();
  }

  /** The sidecar's own PostgreSQL login: the managed server's superuser, or PGPASSWORD for an external one. */
  private static Properties credentials(NodeConfig config, PostgresManager postgres) {
    Properties p = new Properties();
    p.setProperty("user", config.postgres().user());
    String password = postgres != null ? postgres.password() : System.getenv("PGPASSWORD");
    if (password != null) {
      p.setProperty("password", password);
    }
    p.setProperty("ApplicationName", "pgmm-sidecar");
    return p;
  }

  private void stop(NodeConfig config, SidecarServer server, ReplicationRuntime replication, PostgresManager postgres) {
    try {
      server.shutdown(Duration.ofMillis(config.limits().shutdownGraceMillis()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      if (replication != null) {
        replication.close();
      }
      if (postgres != null) {
        postgres.stop();
      }
      log.info("pgmm node {} stopped", config.nodeId());
      stopped.countDown();
    }
  }
}
