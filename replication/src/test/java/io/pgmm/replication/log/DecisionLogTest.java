package io.pgmm.replication.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgmm.replication.Gid;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DecisionLogTest {

  @TempDir Path dir;

  private static Gid gid(int node, long seq) {
    return new Gid(node, 7, seq);
  }

  @Test
  void concurrentAppendsFrom32ThreadsAreAllReplayedAfterReopenWithFewerFsyncsThanAppends() throws Exception {
    int threads = 32;
    int perThread = 200;
    List<CompletableFuture<Void>> futures = new ArrayList<>();
    long forces;
    try (DecisionLog log = DecisionLog.open(dir)) {
      CountDownLatch start = new CountDownLatch(1);
      List<Thread> workers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int node = t + 1;
        List<CompletableFuture<Void>> mine = new ArrayList<>();
        workers.add(new Thread(() -> {
          try {
            start.await();
          } catch (InterruptedException e) {
            throw new RuntimeException(e);
          }
          for (int i = 0; i < perThread; i++) {
            Gid g = gid(node, i);
            // each appender waits for its own record, as a commit would; others fill the batch meanwhile
            log.append(new DecisionRecord.PreCommit(g, 3, 1, 1000L + i)).join();
            mine.add(log.append(i % 2 == 0 ? new DecisionRecord.Committed(g) : new DecisionRecord.Aborted(g)));
          }
          synchronized (futures) {
            futures.addAll(mine);
          }
        }));
      }
      workers.forEach(Thread::start);
      start.countDown();
      for (Thread w : workers) {
        w.join();
      }
      CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
      forces = log.forceCount();
      assertThat(log.appendCount()).isEqualTo(2L * threads * perThread);
    }
    // group commit: far fewer fsyncs than appends
    assertThat(forces).isLessThan(threads * perThread);

    try (DecisionLog reopened = DecisionLog.open(dir)) {
      Map<Gid, DecisionRecord> state = reopened.replay();
      assertThat(state).hasSize(threads * perThread);
      assertThat(reopened.truncatedBytesOnOpen()).isZero();
      for (int node = 1; node <= threads; node++) {
        for (int i = 0; i < perThread; i++) {
          Gid g = gid(node, i);
          assertThat(state.get(g)).isEqualTo(i % 2 == 0 ? new DecisionRecord.Committed(g) : new DecisionRecord.Aborted(g));
        }
      }
    }
  }

  @Test
  void manyOutstandingAppendsShareOneFsync() throws Exception {
    try (DecisionLog log = DecisionLog.open(dir)) {
      // the writer is idle; 1000 appends queued at once go out in very few batches
      List<CompletableFuture<Void>> futures = new ArrayList<>();
      for (int i = 0; i < 1000; i++) {
        futures.add(log.append(new DecisionRecord.Committed(gid(1, i))));
      }
      CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
      assertThat(log.forceCount()).isLessThanOrEqualTo(10);
    }
  }

  @Test
  void latestRecordWins() throws Exception {
    Gid g = gid(2, 1);
    try (DecisionLog log = DecisionLog.open(dir)) {
      log.append(new DecisionRecord.PreCommit(g, 4, 1, 99)).get();
      log.append(new DecisionRecord.PreCommit(g, 4, 2, 100)).get();
      assertThat(log.replay()).isEmpty(); // replay is the state found on open
    }
    try (DecisionLog log = DecisionLog.open(dir)) {
      assertThat(log.replay()).containsExactly(Map.entry(g, new DecisionRecord.PreCommit(g, 4, 2, 100)));
      log.append(new DecisionRecord.Committed(g)).get();
    }
    try (DecisionLog log = DecisionLog.open(dir)) {
      assertThat(log.replay()).containsExactly(Map.entry(g, new DecisionRecord.Committed(g)));
    }
  }

  @Test
  void tornLastRecordIsDroppedAndTheLogStaysUsable() throws Exception {
    try (DecisionLog log = DecisionLog.open(dir)) {
      for (int i = 0; i < 10; i++) {
        log.append(new DecisionRecord.Committed(gid(1, i))).get();
      }
    }
    Path file = dir.resolve(DecisionLog.FILE_NAME);
    long size = Files.size(file);
    // a crash in the middle of the last record
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.truncate(size - 5);
    }
    try (DecisionLog log = DecisionLog.open(dir)) {
      assertThat(log.replay()).hasSize(9).doesNotContainKey(gid(1, 9));
      assertThat(log.truncatedBytesOnOpen()).isEqualTo(RecordCodec.HEADER_BYTES + 21 - 5);
      log.append(new DecisionRecord.Aborted(gid(1, 9))).get();
    }
    try (DecisionLog log = DecisionLog.open(dir)) {
      assertThat(log.replay()).hasSize(10).containsEntry(gid(1, 9), new DecisionRecord.Aborted(gid(1, 9)));
      assertThat(log.truncatedBytesOnOpen()).isZero();
    }
  }

  @Test
  void lastRecordWithABadChecksumIsDropped() throws Exception {
    try (DecisionLog log = DecisionLog.open(dir)) {
      for (int i = 0; i < 3; i++) {
        log.append(new DecisionRecord.PreCommit(gid(1, i), 1, 1, 5)).get();
      }
    }
    Path file = dir.resolve(DecisionLog.FILE_NAME);
    flipByte(file, Files.size(file) - 3);
    try (DecisionLog log = DecisionLog.open(dir)) {
      assertThat(log.replay()).containsOnlyKeys(gid(1, 0), gid(1, 1));
    }
  }

  @Test
  void corruptionFarFromTheTailRefusesToOpen() throws Exception {
    DecisionLog.Options small = new DecisionLog.Options(4, 1000, 1 << 20);
    try (DecisionLog log = DecisionLog.open(dir, small)) {
      for (int i = 0; i < 100; i++) {
        log.append(new DecisionRecord.Committed(gid(1, i))).get();
      }
    }
    flipByte(dir.resolve(DecisionLog.FILE_NAME), DecisionLog.FILE_HEADER_BYTES + 20);
    assertThatThrownBy(() -> DecisionLog.open(dir, small)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("not a torn tail");
  }

  @Test
  void compactionKeepsTheLiveSetAndDropsForgottenGids() throws Exception {
    DecisionLog.Options small = new DecisionLog.Options(64, 10_000, 4096);
    try (DecisionLog log = DecisionLog.open(dir, small)) {
      for (int i = 0; i < 500; i++) {
        Gid g = gid(3, i % 50);
        log.append(new DecisionRecord.PreCommit(g, 1, i, 10 + i)).get();
      }
      for (int i = 0; i < 10; i++) {
        log.forget(gid(3, i));
      }
      for (int i = 0; i < 300; i++) {
        log.append(new DecisionRecord.Committed(gid(3, 10 + (i % 40)))).get();
      }
      assertThat(log.compactionCount()).isPositive();
      assertThat(log.liveCount()).isEqualTo(40);
    }
    assertThat(Files.size(dir.resolve(DecisionLog.FILE_NAME))).isLessThan(8192);
    try (DecisionLog log = DecisionLog.open(dir, small)) {
      assertThat(log.replay()).hasSize(40);
      assertThat(log.liveCount()).isEqualTo(40);
      assertThat(log.replay().get(gid(3, 10))).isEqualTo(new DecisionRecord.Committed(gid(3, 10)));
      assertThat(Files.exists(dir.resolve(DecisionLog.FILE_NAME + ".compact"))).isFalse();
    }
  }

  @Test
  void forgetsApplyWithoutAnotherAppendAndDoNotForceTheFile() throws Exception {
    try (DecisionLog log = DecisionLog.open(dir)) {
      for (int i = 0; i < 3; i++) {
        log.append(new DecisionRecord.PreCommit(gid(2, i), 1, 0, 10 + i)).get();
      }
      long forces = log.forceCount();
      log.forget(gid(2, 0));
      log.forget(gid(2, 2));
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() -> log.liveCount() == 1);
      assertThat(log.forceCount()).as("a forget alone writes nothing").isEqualTo(forces);
    }
  }

  @Test
  void appendAfterCloseFailsFast() {
    DecisionLog log = DecisionLog.open(dir);
    log.close();
    log.close();
    CompletableFuture<Void> f = log.append(new DecisionRecord.Committed(gid(1, 1)));
    assertThatThrownBy(f::get).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(IllegalStateException.class)
        .hasMessageContaining("CLOSED");
    assertThat(log.state()).isEqualTo(DecisionLog.State.CLOSED);
  }

  @Test
  void aFileThatIsNotADecisionLogIsRefused() throws IOException {
    Files.writeString(dir.resolve(DecisionLog.FILE_NAME), "hello world");
    assertThatThrownBy(() -> DecisionLog.open(dir)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("not a pgmm decision log");
  }

  @Test
  void recordCodecRoundTripsEveryTypeAndRejectsGarbage() {
    Gid g = new Gid(9, 1L << 40, Long.MAX_VALUE);
    List<DecisionRecord> records = List.of(new DecisionRecord.PreCommit(g, 12, 34, 56), new DecisionRecord.Committed(g),
        new DecisionRecord.Aborted(g));
    ByteBuffer buf = ByteBuffer.allocate(3 * RecordCodec.MAX_RECORD_BYTES);
    records.forEach(r -> RecordCodec.encode(r, buf));
    buf.flip();
    for (DecisionRecord r : records) {
      assertThat(RecordCodec.decodeOrNull(buf)).isEqualTo(r);
    }
    assertThat(RecordCodec.decodeOrNull(buf)).isNull();
    ByteBuffer junk = ByteBuffer.allocate(64);
    junk.putInt(0, Integer.MAX_VALUE);
    assertThat(RecordCodec.decodeOrNull(junk)).isNull();
    assertThat(junk.position()).isZero();
  }

  private static void flipByte(Path file, long offset) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(1);
      ch.read(b, offset);
      b.put(0, (byte) (b.get(0) ^ 0x5A));
      b.rewind();
      ch.write(b, offset);
    }
  }
}
