package io.pgmm.it.clients;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgmm.it.support.PgmmTestNode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Two hundred clients at once through one sidecar, and nothing left behind when they leave. */
class ManyConnectionsTest {

  private static final int CLIENTS = 200;
  private static final String APPLICATION = "ManyConnectionsTest";

  private static PgmmTestNode node;

  @BeforeAll
  static void startNode() {
    node = PgmmTestNode.start("many");
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void twoHundredConcurrentTransactionsSucceedAndLeaveNoBackends() throws Exception {
    try (Connection c = node.connectDirect(); Statement s = c.createStatement()) {
      s.execute("create table many_clients (client int primary key, backend_pid int not null)");
    }
    // All connections are open before any transaction starts, and all transactions are done
    // before any connection closes: 200 sessions really are there at the same time.
    CyclicBarrier allOpen = new CyclicBarrier(CLIENTS + 1);
    CyclicBarrier allDone = new CyclicBarrier(CLIENTS + 1);
    ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
    try {
      List<CompletableFuture<Integer>> clients = new ArrayList<>();
      for (int i = 0; i < CLIENTS; i++) {
        int client = i;
        clients.add(CompletableFuture.supplyAsync(() -> runClient(client, allOpen, allDone), pool));
      }
      awaitOrExplain(allOpen, clients);
      assertThat(backendsOf(APPLICATION)).as("client backends while all are open").isEqualTo(CLIENTS);
      awaitOrExplain(allDone, clients);

      List<Integer> seen = new ArrayList<>();
      for (CompletableFuture<Integer> f : clients) {
        seen.add(f.get(60, TimeUnit.SECONDS));
      }
      assertThat(seen).hasSize(CLIENTS).doesNotHaveDuplicates();
    } finally {
      pool.shutdownNow();
    }

    try (Connection c = node.connectDirect(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("select count(*), count(distinct backend_pid) from many_clients")) {
      rs.next();
      assertThat(rs.getInt(1)).isEqualTo(CLIENTS);
      assertThat(rs.getInt(2)).as("each client had its own backend").isEqualTo(CLIENTS);
    }
    await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
        assertThat(backendsOf(APPLICATION)).as("client backends after all closed").isZero());
  }

  /** Waits at the barrier; if a client broke it, fails with that client's error. */
  private static void awaitOrExplain(CyclicBarrier barrier, List<CompletableFuture<Integer>> clients)
      throws InterruptedException {
    try {
      barrier.await(60, TimeUnit.SECONDS);
    } catch (BrokenBarrierException | TimeoutException e) {
      await().atMost(Duration.ofSeconds(60)).until(() -> clients.stream().allMatch(CompletableFuture::isDone));
      AssertionError failure = new AssertionError("not all " + CLIENTS + " clients got through");
      clients.stream().filter(CompletableFuture::isCompletedExceptionally).map(f -> {
        try {
          f.join();
          return null;
        } catch (CompletionException ce) {
          return ce.getCause();
        }
      }).filter(t -> !(t.getCause() instanceof BrokenBarrierException)).limit(5).forEach(failure::addSuppressed);
      throw failure;
    }
  }

  /** Opens a connection, runs one transaction, closes; returns the rows the client saw of its own. */
  private static Integer runClient(int client, CyclicBarrier allOpen, CyclicBarrier allDone) {
    Properties p = new Properties();
    p.setProperty("ApplicationName", APPLICATION);
    try (Connection c = node.connect(p)) {
      allOpen.await(60, TimeUnit.SECONDS);
      c.setAutoCommit(false);
      try (PreparedStatement insert = c.prepareStatement(
          "insert into many_clients values (?, pg_backend_pid())")) {
        insert.setInt(1, client);
        insert.executeUpdate();
      }
      int seen;
      try (PreparedStatement select = c.prepareStatement("select client from many_clients where client = ?")) {
        select.setInt(1, client);
        try (ResultSet rs = select.executeQuery()) {
          rs.next();
          seen = rs.getInt(1);
        }
      }
      c.commit();
      allDone.await(60, TimeUnit.SECONDS);
      return seen;
    } catch (SQLException e) {
      allOpen.reset();
      allDone.reset();
      throw new IllegalStateException("client " + client + ": " + e.getSQLState() + " " + e.getMessage(), e);
    } catch (Exception e) {
      allOpen.reset();
      allDone.reset();
      throw new IllegalStateException("client " + client, e);
    }
  }

  private static int backendsOf(String application) throws SQLException {
    try (Connection c = node.connectDirect();
        PreparedStatement ps = c.prepareStatement(
            "select count(*) from pg_stat_activity where application_name = ? and backend_type = 'client backend'")) {
      ps.setString(1, application);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }
}
