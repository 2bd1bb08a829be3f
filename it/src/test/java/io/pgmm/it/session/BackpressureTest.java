package io.pgmm.it.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.buffer.PooledByteBufAllocator;
import io.pgmm.it.support.PgmmTestNode;
import io.pgmm.it.transcript.PgWireClient;
import io.pgmm.it.transcript.PgWireClient.Message;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A client that stops reading a huge result stops PostgreSQL, not the sidecar's memory: the
 * backend blocks in ClientWrite while the sidecar holds at most its write-buffer water marks.
 */
class BackpressureTest {

  private static final long MIB = 1024 * 1024;
  private static final int ROWS = 500_000;
  private static final int ROW_BYTES = 2_000;
  private static PgmmTestNode node;

  @BeforeAll
  static void startNode() {
    node = PgmmTestNode.start("backpressure");
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      node.close();
    }
  }

  /** Direct memory in this JVM (the sidecar runs in it): Netty's allocators and the JDK's direct pool. */
  private static long directBytes() {
    long total = 0;
    ByteBufAllocator def = ByteBufAllocator.DEFAULT;
    if (def instanceof ByteBufAllocatorMetricProvider p) {
      total += Math.max(0, p.metric().usedDirectMemory());
    }
    if (def != PooledByteBufAllocator.DEFAULT) {
      total += Math.max(0, PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory());
    }
    long jdkDirect = 0;
    for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
      if (pool.getName().equals("direct")) {
        jdkDirect = pool.getMemoryUsed();
      }
    }
    // Netty's pooled chunks may or may not be counted by the JDK pool (cleaner or not): take the larger.
    return Math.max(total, jdkDirect);
  }

  private static long heapAfterGc() {
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  @Test
  void aStalledClientStopsTheBackendNotTheSidecarsMemory() throws Exception {
    long directBefore = directBytes();
    long heapBefore = heapAfterGc();
    try (PgWireClient c = PgWireClient.connect(node.port(), "postgres", "postgres", "backpressure-reader")) {
      c.socket().setReceiveBufferSize(64 * 1024);
      c.sendQuery("select repeat('x', " + ROW_BYTES + ") from generate_series(1, " + ROWS + ")");

      // PostgreSQL soon blocks writing to the sidecar: the stall reached it.
      await().atMost(Duration.ofSeconds(20)).until(() -> Direct.count(node,
          "select count(*) from pg_stat_activity where application_name = 'backpressure-reader'"
              + " and wait_event = 'ClientWrite'") == 1);
      long maxDirect = 0;
      long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
      while (System.nanoTime() < deadline) {
        maxDirect = Math.max(maxDirect, directBytes());
        Thread.onSpinWait();
      }
      long heapStalled = heapAfterGc();
      System.out.printf("backpressure: stalled with direct %d -> max %d bytes, heap %d -> %d bytes%n",
          directBefore, maxDirect, heapBefore, heapStalled);
      assertThat(maxDirect - directBefore).as("direct memory growth while stalled").isLessThan(64 * MIB);
      assertThat(heapStalled - heapBefore).as("heap growth while stalled").isLessThan(64 * MIB);
      assertThat(Direct.count(node, "select count(*) from pg_stat_activity where application_name = "
          + "'backpressure-reader' and wait_event = 'ClientWrite'")).as("still blocked").isEqualTo(1);

      List<Message> others = new ArrayList<>();
      long start = System.nanoTime();
      long[] counted = c.drainRowsUntilReady(others);
      long millis = (System.nanoTime() - start) / 1_000_000;
      assertThat(counted[0]).isEqualTo(ROWS);
      assertThat(counted[1]).isEqualTo((long) ROWS * ROW_BYTES);
      assertThat(others).extracting(Message::type).containsExactly('T', 'C', 'Z');
      System.out.printf("backpressure: read %d MB through the sidecar in %d ms%n", counted[1] / MIB, millis);
    }
  }

  @Test
  void aStalledClientThatHangsUpLeavesNoBackend() throws Exception {
    PgWireClient c = PgWireClient.connect(node.port(), "postgres", "postgres", "backpressure-quitter");
    try {
      c.sendQuery("select repeat('x', " + ROW_BYTES + ") from generate_series(1, " + ROWS + ")");
      await().atMost(Duration.ofSeconds(20)).until(() -> Direct.count(node,
          "select count(*) from pg_stat_activity where application_name = 'backpressure-quitter'"
              + " and wait_event = 'ClientWrite'") == 1);
    } finally {
      c.abort();
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> Direct.backends(node, "backpressure-quitter") == 0);
  }
}
