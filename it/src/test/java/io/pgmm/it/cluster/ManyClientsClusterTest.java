package io.pgmm.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A hundred clients per node committing at the same time: every row on every node. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ManyClientsClusterTest {

  private static final int CLIENTS_PER_NODE = 100;
  private static final int ROWS_PER_CLIENT = 5;
  private static PgmmTestCluster cluster;

  @BeforeAll
  static void startCluster() throws SQLException {
    cluster = PgmmTestCluster.start(3);
    cluster.execute(1, "create table crowd (id int primary key, node int not null, client int not null)");
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void threeHundredConcurrentClientsAllReplicate() throws Exception {
    int total = 3 * CLIENTS_PER_NODE;
    CyclicBarrier connected = new CyclicBarrier(total);
    List<RetryStats> stats = List.of(new RetryStats(1), new RetryStats(2), new RetryStats(3));
    List<Callable<Integer>> clients = new ArrayList<>();
    for (int node = 1; node <= 3; node++) {
      for (int k = 0; k < CLIENTS_PER_NODE; k++) {
        int n = node;
        int client = (node - 1) * CLIENTS_PER_NODE + k;
        RetryStats s = stats.get(node - 1);
        clients.add(() -> {
          int committed = 0;
          try (Connection c = cluster.connect(n)) {
            connected.await(60, TimeUnit.SECONDS); // everyone connected, then everyone writes
            try (PreparedStatement insert = c.prepareStatement("insert into crowd values (?, ?, ?)")) {
              for (int row = 0; row < ROWS_PER_CLIENT; row++) {
                insert.setInt(1, client * ROWS_PER_CLIENT + row);
                insert.setInt(2, n);
                insert.setInt(3, client);
                for (int attempt = 0; ; attempt++) {
                  s.attempts.increment();
                  try {
                    insert.executeUpdate();
                    s.commits.increment();
                    committed++;
                    break;
                  } catch (SQLException e) {
                    if (!s.failed(e) || attempt >= 20) {
                      throw e;
                    }
                  }
                }
              }
            }
          }
          return committed;
        });
      }
    }
    long started = System.nanoTime();
    List<Integer> committed = PgmmTestCluster.inParallel(clients);
    long millis = (System.nanoTime() - started) / 1_000_000;
    System.out.println("[cluster-it] many clients: " + committed.stream().mapToInt(Integer::intValue).sum()
        + " rows committed by " + total + " clients in " + millis + " ms");
    stats.forEach(s -> System.out.println("[cluster-it] many clients " + s));

    await("every row on every node").atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
      for (int i = 1; i <= 3; i++) {
        assertThat(cluster.queryLong(i, "select count(*) from crowd")).as("rows on node %d", i)
            .isEqualTo((long) total * ROWS_PER_CLIENT);
        assertThat(cluster.preparedXacts(i)).as("prepared transactions on node %d", i).isZero();
      }
    });
    String first = cluster.md5(1, "crowd", "id");
    for (int i = 2; i <= 3; i++) {
      assertThat(cluster.md5(i, "crowd", "id")).as("crowd on node %d vs node 1", i).isEqualTo(first);
    }
  }
}
