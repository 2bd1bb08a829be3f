package io.pgmm.it.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.pgmm.it.support.PgmmTestNode;
import io.pgmm.it.transcript.PgWireClient;
import io.pgmm.it.transcript.PgWireClient.Message;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Stopping the sidecar: it stops accepting at once, lets sessions go on for the grace period,
 * then ends the rest with 57P01; their backends go and open transactions roll back.
 */
class ShutdownTest {

  private PgmmTestNode node;

  @BeforeEach
  void startNode() {
    node = PgmmTestNode.start("shutdown");
    Direct.execute(node, "create table shutdown_t(id int)");
  }

  @AfterEach
  void stopNode() {
    if (node != null) {
      node.close();
    }
  }

  private static boolean refuses(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
      return false;
    } catch (ConnectException e) {
      return true;
    } catch (java.io.IOException e) {
      return false;
    }
  }

  @Test
  void openSessionsGet57P01AfterTheGraceAndTheirTransactionsRollBack() throws Exception {
    int port = node.port();
    PgWireClient idle1 = PgWireClient.connect(port, "postgres", "postgres", "shutdown-idle-1");
    PgWireClient idle2 = PgWireClient.connect(port, "postgres", "postgres", "shutdown-idle-2");
    PgWireClient inTx = PgWireClient.connect(port, "postgres", "postgres", "shutdown-tx");
    try {
      inTx.sendQuery("begin; insert into shutdown_t values (1)");
      assertThat(inTx.readUntil('Z')).last().extracting(m -> (char) m.body()[0]).isEqualTo('T');
      assertThat(Direct.count(node,
          "select count(*) from pg_stat_activity where application_name like 'shutdown-%'")).isEqualTo(3);

      long start = System.nanoTime();
      CompletableFuture<Void> stopped = CompletableFuture.runAsync(() -> {
        try {
          node.stopSidecar(Duration.ofSeconds(2));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });

      await().atMost(Duration.ofSeconds(1)).until(() -> refuses(port));

      // During the grace an open session still works.
      idle1.sendQuery("select 1");
      List<Message> during = idle1.readUntil('Z');
      assertThat(during).extracting(Message::type).containsExactly('T', 'D', 'C', 'Z');

      for (PgWireClient c : List.of(idle1, idle2, inTx)) {
        List<Message> last = c.readUntilClosed();
        assertThat(last).as("last words to a session").hasSize(1);
        assertThat(last.get(0).severity()).isEqualTo("FATAL");
        assertThat(last.get(0).sqlState()).isEqualTo("57P01");
      }
      long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertThat(elapsedMillis).as("sessions were ended after the grace, not before").isGreaterThanOrEqualTo(1_900);

      stopped.get(15, TimeUnit.SECONDS);
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(Direct.count(node,
          "select count(*) from pg_stat_activity where application_name like 'shutdown-%'")).isZero());
      assertThat(Direct.count(node, "select count(*) from shutdown_t")).as("open transaction rolled back").isZero();
      assertThat(refuses(port)).isTrue();
    } finally {
      idle1.close();
      idle2.close();
      inTx.close();
    }
  }

  @Test
  void sessionsThatFinishDuringTheGraceEndCleanly() throws Exception {
    int port = node.port();
    PgWireClient c = PgWireClient.connect(port, "postgres", "postgres", "shutdown-leaver");
    CompletableFuture<Void> stopped = CompletableFuture.runAsync(() -> {
      try {
        node.stopSidecar(Duration.ofSeconds(10));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    await().atMost(Duration.ofSeconds(1)).until(() -> refuses(port));
    c.send('X', new byte[0]);
    assertThat(c.readUntilClosed()).isEmpty();
    c.close();
    // The last session left, so the sidecar need not wait out the 10 s grace.
    stopped.get(5, TimeUnit.SECONDS);
    assertThatThrownBy(() -> PgWireClient.open(port)).isInstanceOf(ConnectException.class);
  }
}
