package io.pgmm.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every node must vote on a write (membership is static in this release): with node 3's sidecar
 * gone, a write on node 1 fails fast with an error naming node 3, reads go on, and no prepared
 * transaction is left behind.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PeerDownTest {

  private static final Duration FAST = Duration.ofSeconds(8);
  private static PgmmTestCluster cluster;

  @BeforeAll
  static void startCluster() throws SQLException {
    cluster = PgmmTestCluster.start(3);
    cluster.execute(1, "create table down (id int primary key)");
    cluster.execute(1, "insert into down values (1)");
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void withNodeThreeGoneWritesOnNodeOneFailFastNamingItAndReadsGoOn() throws Exception {
    cluster.stopSidecar(3);

    // At once, before node 1 may have noticed the lost connection.
    assertFailsFastNamingNode3("insert into down values (2)");
    // And once node 1 knows.
    await("node 1 sees node 3 gone").atMost(Duration.ofSeconds(30))
        .until(() -> cluster.runtime(1).commit().unavailableReason() != null);
    System.out.println("[cluster-it] peer down: node 1 says: " + cluster.runtime(1).commit().unavailableReason());
    assertFailsFastNamingNode3("insert into down values (3)");
    try (Connection c = cluster.connect(1); Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      s.execute("insert into down values (4)");
      long t0 = System.nanoTime();
      assertThatThrownBy(c::commit).isInstanceOf(SQLException.class).hasMessageContaining("node 3");
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(FAST);
    }

    try (Connection c = cluster.connect(1); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("select count(*), max(id) from down")) {
      rs.next();
      assertThat(rs.getLong(1)).as("rows readable on node 1").isEqualTo(1);
      assertThat(rs.getInt(2)).isEqualTo(1);
    }
    try (Connection c = cluster.connect(2); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("select count(*) from down")) {
      rs.next();
      assertThat(rs.getLong(1)).as("rows readable on node 2").isEqualTo(1);
    }

    await("nothing left prepared on nodes 1 and 2").atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
      assertThat(cluster.preparedXacts(1)).as("prepared on node 1").isZero();
      assertThat(cluster.preparedXacts(2)).as("prepared on node 2").isZero();
    });
    for (int i = 1; i <= 3; i++) {
      assertThat(cluster.queryLong(i, "select count(*) from down")).as("rows on node %d", i).isEqualTo(1);
    }
  }

  private static void assertFailsFastNamingNode3(String sql) throws SQLException {
    try (Connection c = cluster.connect(1); Statement s = c.createStatement()) {
      long t0 = System.nanoTime();
      SQLException error = null;
      try {
        s.execute(sql);
      } catch (SQLException e) {
        error = e;
      }
      Duration took = Duration.ofNanos(System.nanoTime() - t0);
      System.out.println("[cluster-it] peer down: '" + sql + "' -> " + (error == null ? "committed"
          : error.getSQLState() + " " + error.getMessage()) + " after " + took.toMillis() + " ms");
      assertThat((Object) error).as("a write with node 3 down").isNotNull();
      assertThat(error.getMessage()).contains("node 3");
      assertThat(took).as("time to fail").isLessThan(FAST);
    }
  }
}
