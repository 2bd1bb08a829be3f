package io.pgmm.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Connections between the sidecars break again and again while writes run on every node, losing
 * whatever was on them (changes, votes, PreCommits, decisions, acknowledgements). No write hangs,
 * every acknowledged write is on every node, nothing stays prepared anywhere, and the nodes agree:
 * what a lost message left open is sent again when the connection is back.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ConnectionDropsTest {

  private static final Duration RUN = Duration.ofSeconds(20);
  private static final int WRITERS_PER_NODE = 2;
  private static PgmmTestCluster cluster;

  @BeforeAll
  static void startCluster() throws SQLException {
    cluster = PgmmTestCluster.start(3);
    cluster.execute(1, "create table drops (id bigint primary key, node int not null)");
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void writesAcrossBreakingConnectionsLeaveNothingPreparedAndEveryAcknowledgedRowEverywhere() throws Exception {
    Set<Long> acknowledged = ConcurrentHashMap.newKeySet();
    Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();
    AtomicLong nextId = new AtomicLong();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger drops = new AtomicInteger();
    List<Callable<Void>> tasks = new ArrayList<>();
    for (int node = 1; node <= 3; node++) {
      int n = node;
      for (int w = 0; w < WRITERS_PER_NODE; w++) {
        tasks.add(() -> {
          try (Connection c = cluster.connect(n);
               PreparedStatement insert = c.prepareStatement("insert into drops values (?, ?)")) {
            while (!stop.get()) {
              long id = nextId.incrementAndGet();
              insert.setLong(1, id);
              insert.setInt(2, n);
              try {
                insert.executeUpdate();
                acknowledged.add(id);
              } catch (SQLException e) {
                // 57P03 (a peer unreachable or lost), 40001, 08007 (outcome unknown): not acknowledged
                failures.computeIfAbsent(e.getSQLState(), k -> new AtomicInteger()).incrementAndGet();
                if ("57P03".equals(e.getSQLState())) {
                  Thread.sleep(5); // a link is down for a moment: no point in spinning on it meanwhile
                }
              }
            }
          }
          return null;
        });
      }
    }
    tasks.add(() -> {
      long end = System.nanoTime() + RUN.toNanos();
      ThreadLocalRandom random = ThreadLocalRandom.current();
      while (System.nanoTime() < end) {
        Thread.sleep(random.nextInt(100, 400));
        int from = random.nextInt(1, 4);
        int to = from % 3 + 1; // one of the two other nodes
        if (random.nextBoolean()) {
          to = to % 3 + 1;
        }
        cluster.runtime(from).disconnect(to);
        drops.incrementAndGet();
      }
      stop.set(true);
      return null;
    });

    PgmmTestCluster.inParallel(tasks);
    System.out.println("[cluster-it] connection drops: " + drops.get() + " drops, " + acknowledged.size()
        + " writes acknowledged, failed by SQLSTATE " + new TreeMap<>(failures));

    assertThat(drops.get()).isGreaterThan(20);
    assertThat(acknowledged).as("writes acknowledged between the drops").isNotEmpty();
    assertThat(failures.keySet()).as("SQLSTATEs of failed writes").isSubsetOf("57P03", "40001", "08007");
    cluster.awaitConnected();
    await("nothing left prepared on any node").atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      for (int i = 1; i <= 3; i++) {
        assertThat(cluster.preparedXacts(i)).as("prepared on node %d", i).isZero();
      }
    });
    String md5 = cluster.md5(1, "drops", "id");
    for (int i = 1; i <= 3; i++) {
      assertThat(cluster.md5(i, "drops", "id")).as("drops on node %d", i).isEqualTo(md5);
      assertThat(cluster.queryLong(i, "select count(*) from drops where id = any(array" + acknowledged + "::bigint[])"))
          .as("acknowledged rows on node %d", i).isEqualTo(acknowledged.size());
    }
  }
}
