package io.pgmm.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The bank: transfers between random accounts on every node at once, readers on every node
 * checking that money is neither made nor lost in any snapshot, and at the end every node holds
 * the same accounts and every acknowledged transfer.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class BankTest {

  private static final int ACCOUNTS = 100;
  private static final long TOTAL = 100_000;
  private static final Duration RUN = Duration.ofSeconds(20);
  private static PgmmTestCluster cluster;

  @BeforeAll
  static void startCluster() throws SQLException {
    cluster = PgmmTestCluster.start(3);
    try (Connection c = cluster.connect(1); Statement s = c.createStatement()) {
      s.execute("create table accounts (id int primary key, balance bigint not null)");
      s.execute("create table transfers (id uuid primary key, src int not null, dst int not null, amount bigint not null,"
          + " node int not null)");
      s.execute("insert into accounts select g, " + (TOTAL / ACCOUNTS) + " from generate_series(1, " + ACCOUNTS + ") g");
    }
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void transfersOnEveryNodeKeepTheTotalAndEndIdenticalEverywhere() throws Exception {
    long deadline = System.nanoTime() + RUN.toNanos();
    Set<UUID> acknowledged = ConcurrentHashMap.newKeySet();
    List<RetryStats> writerStats = new ArrayList<>();
    AtomicLong snapshots = new AtomicLong();
    List<String> wrongTotals = new java.util.concurrent.CopyOnWriteArrayList<>();
    List<RetryStats> readerStats = new ArrayList<>();
    List<Callable<Void>> tasks = new ArrayList<>();
    for (int node = 1; node <= 3; node++) {
      int n = node;
      RetryStats stats = new RetryStats(n);
      writerStats.add(stats);
      for (int w = 0; w < 2; w++) {
        tasks.add(() -> {
          writer(n, deadline, stats, acknowledged);
          return null;
        });
      }
      RetryStats reads = new RetryStats(n);
      readerStats.add(reads);
      tasks.add(() -> {
        reader(n, deadline, reads, snapshots, wrongTotals);
        return null;
      });
    }
    PgmmTestCluster.inParallel(tasks);

    System.out.println("[cluster-it] bank: " + acknowledged.size() + " acknowledged transfers, " + snapshots.get()
        + " snapshots checked");
    writerStats.forEach(s -> System.out.println("[cluster-it] bank writers " + s));
    readerStats.forEach(s -> System.out.println("[cluster-it] bank readers " + s));

    assertThat(wrongTotals).as("snapshots whose total was not " + TOTAL).isEmpty();
    assertThat(acknowledged).as("acknowledged transfers").isNotEmpty();
    assertThat(snapshots.get()).as("snapshots checked").isPositive();

    await("no prepared transaction left").atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
      for (int i = 1; i <= 3; i++) {
        assertThat(cluster.preparedXacts(i)).as("prepared transactions on node %d", i).isZero();
      }
    });
    String accounts = cluster.md5(1, "accounts", "id");
    String transfers = cluster.md5(1, "transfers", "id");
    for (int i = 1; i <= 3; i++) {
      assertThat(cluster.queryLong(i, "select sum(balance) from accounts")).as("total on node %d", i).isEqualTo(TOTAL);
      assertThat(cluster.md5(i, "accounts", "id")).as("accounts on node %d vs node 1", i).isEqualTo(accounts);
      assertThat(cluster.md5(i, "transfers", "id")).as("transfers on node %d vs node 1", i).isEqualTo(transfers);
      assertThat(cluster.queryLong(i, "select count(*) from transfers")).as("transfers on node %d", i)
          .isEqualTo(acknowledged.size());
    }
    // Every acknowledged id is there (the count alone would let a lost one hide behind an unacknowledged one).
    try (Connection c = cluster.connectDirect(2);
         PreparedStatement find = c.prepareStatement("select count(*) from transfers where id = any (?)")) {
      find.setArray(1, c.createArrayOf("uuid", acknowledged.toArray()));
      try (ResultSet rs = find.executeQuery()) {
        rs.next();
        assertThat(rs.getLong(1)).as("acknowledged transfers present on node 2").isEqualTo(acknowledged.size());
      }
    }
  }

  private static void writer(int node, long deadline, RetryStats stats, Set<UUID> acknowledged) throws SQLException {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    Connection c = cluster.connect(node);
    try {
      while (System.nanoTime() < deadline) {
        int from = 1 + random.nextInt(ACCOUNTS);
        int to = 1 + random.nextInt(ACCOUNTS - 1);
        if (to >= from) {
          to++;
        }
        long amount = 1 + random.nextInt(100);
        UUID id = UUID.randomUUID();
        // The same transfer until it commits (or the run ends): a retry never applies it twice.
        while (System.nanoTime() < deadline) {
          stats.attempts.increment();
          try {
            c.setAutoCommit(false);
            try (PreparedStatement debit = c.prepareStatement("update accounts set balance = balance - ? where id = ?");
                 PreparedStatement credit = c.prepareStatement("update accounts set balance = balance + ? where id = ?");
                 PreparedStatement log = c.prepareStatement("insert into transfers values (?, ?, ?, ?, ?)")) {
              debit.setLong(1, amount);
              debit.setInt(2, from);
              debit.executeUpdate();
              credit.setLong(1, amount);
              credit.setInt(2, to);
              credit.executeUpdate();
              log.setObject(1, id);
              log.setInt(2, from);
              log.setInt(3, to);
              log.setLong(4, amount);
              log.setInt(5, node);
              log.executeUpdate();
            }
            c.commit();
            acknowledged.add(id);
            stats.commits.increment();
            break;
          } catch (SQLException e) {
            boolean retry = stats.failed(e);
            c = recover(c, node);
            if (!retry) {
              break; // an unexpected error: counted and reported, the transfer is given up
            }
          }
        }
      }
    } finally {
      c.close();
    }
  }

  private static void reader(int node, long deadline, RetryStats stats, AtomicLong snapshots, List<String> wrong)
      throws SQLException {
    Connection c = cluster.connect(node);
    try {
      boolean repeatable = false;
      while (System.nanoTime() < deadline) {
        repeatable = !repeatable;
        stats.attempts.increment();
        try {
          if (repeatable) {
            // Two reads in one REPEATABLE READ snapshot.
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            long first = total(c);
            long second = total(c);
            c.commit();
            if (first != TOTAL || second != TOTAL) {
              wrong.add("node " + node + " repeatable read: " + first + ", " + second);
            }
          } else {
            c.setAutoCommit(true);
            c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            long total = total(c);
            if (total != TOTAL) {
              wrong.add("node " + node + " single statement: " + total);
            }
          }
          snapshots.incrementAndGet();
          stats.commits.increment();
        } catch (SQLException e) {
          stats.failed(e);
          c = recover(c, node);
        }
      }
    } finally {
      c.close();
    }
  }

  private static long total(Connection c) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select sum(balance), count(*) from accounts")) {
      rs.next();
      if (rs.getLong(2) != ACCOUNTS) {
        return -rs.getLong(2);
      }
      return rs.getLong(1);
    }
  }

  /** Rolls back after an error; a broken connection is replaced. */
  private static Connection recover(Connection c, int node) throws SQLException {
    try {
      if (!c.isClosed() && !c.getAutoCommit()) {
        c.rollback();
      }
      return c;
    } catch (SQLException e) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // replaced below
      }
      return cluster.connect(node);
    }
  }
}
