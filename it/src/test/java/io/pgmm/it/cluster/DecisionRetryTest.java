package io.pgmm.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A COMMIT PREPARED that fails on a peer is retried there until it works, and only then
 * acknowledged: acknowledged at once (as before), its origin stopped resending and the transaction
 * stayed prepared on the peer for good, holding its rows (REVIEW.md, defect 1).
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class DecisionRetryTest {

  private static PgmmTestCluster cluster;

  @BeforeAll
  static void startCluster() throws SQLException {
    cluster = PgmmTestCluster.start(2);
    cluster.execute(1, "create table retried (id int primary key)");
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aCommitDecisionThatFailsOnAPeerIsCarriedOutOnceThePeerCanAgain() throws Exception {
    try (Connection direct2 = cluster.connectDirect(2); Statement s = direct2.createStatement()) {
      s.execute("alter role postgres nologin");
      try {
        // Node 2's decision connections die and cannot be replaced while connections are refused.
        s.execute("select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'pgmm-decide'");
        await("node 2's decision connections gone").atMost(Duration.ofSeconds(10)).until(() ->
            queryOn(s, "select count(*) from pg_stat_activity where application_name = 'pgmm-decide'") == 0);

        cluster.execute(1, "insert into retried values (1)");

        await("node 2 tried and failed to commit").atMost(Duration.ofSeconds(10)).during(Duration.ofSeconds(1))
            .until(() -> queryOn(s, "select count(*) from pg_prepared_xacts") == 1);
        assertThat(queryOn(s, "select count(*) from retried")).as("row on node 2 while refused").isZero();
      } finally {
        s.execute("alter role postgres login");
      }
      await("the decision is carried out on node 2").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        assertThat(queryOn(s, "select count(*) from pg_prepared_xacts")).as("prepared on node 2").isZero();
        assertThat(queryOn(s, "select count(*) from retried")).as("row on node 2").isEqualTo(1);
      });
    }
    assertThat(cluster.preparedXacts(1)).as("prepared on node 1").isZero();
    assertThat(cluster.queryLong(1, "select count(*) from retried")).as("row on node 1").isEqualTo(1);
    await("node 1 keeps no decision for node 2 any more").atMost(Duration.ofSeconds(10))
        .until(() -> cluster.runtime(1).decisionsHeld() == 0);
  }

  private static long queryOn(Statement s, String sql) throws SQLException {
    try (var rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
