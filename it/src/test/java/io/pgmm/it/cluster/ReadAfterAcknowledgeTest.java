package io.pgmm.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A row whose insert was acknowledged on one node is visible to the very next read on any other
 * node (DESIGN, "Global snapshot for reads"), a thousand times over, with no wait in between.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ReadAfterAcknowledgeTest {

  private static final int ROUNDS = 1000;
  private static PgmmTestCluster cluster;

  @BeforeAll
  static void startCluster() throws SQLException {
    cluster = PgmmTestCluster.start(3);
    cluster.execute(1, "create table raa (id int primary key, origin int not null)");
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aWriteAcknowledgedOnOneNodeIsAtOnceVisibleOnEveryOther() throws SQLException {
    List<Connection> connections = new ArrayList<>();
    List<PreparedStatement> inserts = new ArrayList<>();
    List<PreparedStatement> reads = new ArrayList<>();
    try {
      for (int i = 1; i <= 3; i++) {
        Connection c = cluster.connect(i);
        connections.add(c);
        inserts.add(c.prepareStatement("insert into raa values (?, ?)"));
        reads.add(c.prepareStatement("select origin from raa where id = ?"));
      }
      List<String> misses = new ArrayList<>();
      for (int k = 0; k < ROUNDS; k++) {
        int writer = k % 3;
        int reader = (writer + 1 + (k / 3) % 2) % 3; // alternates between both other nodes
        PreparedStatement insert = inserts.get(writer);
        insert.setInt(1, k);
        insert.setInt(2, writer + 1);
        insert.executeUpdate();
        PreparedStatement read = reads.get(reader);
        read.setInt(1, k);
        try (ResultSet rs = read.executeQuery()) {
          if (!rs.next()) {
            misses.add("row " + k + " written on node " + (writer + 1) + " not seen on node " + (reader + 1));
          }
        }
      }
      assertThat(misses).as("reads that missed an acknowledged write").isEmpty();
    } finally {
      for (Connection c : connections) {
        c.close();
      }
    }
    // Direct reads skip the global snapshot: the peers' COMMIT PREPARED may still be on its way.
    await("every row on every node").atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      for (int i = 1; i <= 3; i++) {
        assertThat(cluster.queryLong(i, "select count(*) from raa")).as("node %d", i).isEqualTo(ROUNDS);
        assertThat(cluster.preparedXacts(i)).as("prepared transactions on node %d", i).isZero();
      }
    });
  }
}
