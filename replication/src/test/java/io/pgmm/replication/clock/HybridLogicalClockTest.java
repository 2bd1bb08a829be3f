package io.pgmm.replication.clock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HybridLogicalClockTest {

  private static final long T0 = 1_700_000_000_000L;

  @TempDir Path dir;

  /** A wall clock the test moves by hand. */
  static final class FakeWallClock implements WallClock {
    final AtomicLong millis = new AtomicLong(T0);

    @Override
    public long currentTimeMillis() {
      return millis.get();
    }
  }

  @Test
  void nowIsStrictlyIncreasingAndFollowsTheWallClock() {
    FakeWallClock wall = new FakeWallClock();
    HybridLogicalClock clock = HybridLogicalClock.inMemory(wall);
    long a = clock.now();
    long b = clock.now();
    assertThat(b).isGreaterThan(a);
    assertThat(HybridLogicalClock.physicalMillis(a)).isEqualTo(T0);
    assertThat(HybridLogicalClock.logical(b)).isEqualTo(1);
    wall.millis.addAndGet(5);
    long c = clock.now();
    assertThat(HybridLogicalClock.physicalMillis(c)).isEqualTo(T0 + 5);
    assertThat(HybridLogicalClock.logical(c)).isZero();
  }

  @Test
  void wallClockGoingBackwardsNeverMovesTheClockBack() {
    FakeWallClock wall = new FakeWallClock();
    HybridLogicalClock clock = HybridLogicalClock.inMemory(wall);
    long before = clock.now();
    wall.millis.addAndGet(-60_000);
    long after = clock.now();
    assertThat(after).isGreaterThan(before);
    assertThat(HybridLogicalClock.physicalMillis(after)).isEqualTo(T0);
    long remote = clock.observe(HybridLogicalClock.ts(T0 - 120_000, 7));
    assertThat(remote).isGreaterThan(after);
  }

  @Test
  void logicalCounterOverflowCarriesIntoPhysicalPart() {
    FakeWallClock wall = new FakeWallClock();
    HybridLogicalClock clock = HybridLogicalClock.inMemory(wall);
    long prev = clock.now();
    for (int i = 0; i < 70_000; i++) {
      long next = clock.now();
      assertThat(next).isGreaterThan(prev);
      prev = next;
    }
    assertThat(HybridLogicalClock.physicalMillis(prev)).isEqualTo(T0 + 1);
  }

  @Test
  void observeReturnsAboveBothRemoteAndLocal() {
    FakeWallClock wall = new FakeWallClock();
    HybridLogicalClock clock = HybridLogicalClock.inMemory(wall);
    long local = clock.now();
    long remote = HybridLogicalClock.ts(T0 + 30_000, 42);
    long observed = clock.observe(remote);
    assertThat(observed).isGreaterThan(remote).isGreaterThan(local);
    assertThat(HybridLogicalClock.physicalMillis(observed)).isEqualTo(T0 + 30_000);
    assertThat(HybridLogicalClock.logical(observed)).isEqualTo(43);
    assertThat(clock.now()).isGreaterThan(observed);
    // an old remote timestamp still yields a fresh local one
    assertThat(clock.observe(HybridLogicalClock.ts(T0 - 1, 0))).isGreaterThan(observed);
  }

  @Test
  void remoteTimestampTooFarAheadIsRefusedAndLeavesTheClockAlone() {
    FakeWallClock wall = new FakeWallClock();
    HybridLogicalClock clock = HybridLogicalClock.open(dir, wall, 10_000, 60_000);
    long before = clock.now();
    assertThatThrownBy(() -> clock.observe(HybridLogicalClock.ts(T0 + 3_600_000, 0)))
        .isInstanceOf(ClockDriftException.class)
        .hasMessageContaining("ahead");
    assertThat(clock.current()).isEqualTo(before);
  }

  @Test
  void concurrentCallersNeverSeeTheSameTimestamp() throws Exception {
    HybridLogicalClock clock = HybridLogicalClock.open(dir, WallClock.SYSTEM, 50, 60_000);
    int threads = 8;
    int perThread = 20_000;
    List<long[]> results = new ArrayList<>();
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      long[] out = new long[perThread];
      results.add(out);
      int id = t;
      workers.add(new Thread(() -> {
        for (int i = 0; i < perThread; i++) {
          out[i] = (i + id) % 2 == 0 ? clock.now() : clock.observe(clock.current());
        }
      }));
    }
    workers.forEach(Thread::start);
    for (Thread w : workers) {
      w.join();
    }
    Set<Long> all = new HashSet<>();
    for (long[] out : results) {
      for (int i = 1; i < out.length; i++) {
        assertThat(out[i]).isGreaterThan(out[i - 1]);
      }
      for (long ts : out) {
        all.add(ts);
      }
    }
    assertThat(all).hasSize(threads * perThread);
  }

  @Test
  void restartStartsAboveEverythingHandedOutEvenWhenTheWallClockWentBack() {
    FakeWallClock wall = new FakeWallClock();
    HybridLogicalClock first = HybridLogicalClock.open(dir, wall, 10_000, 60_000);
    long last = 0;
    for (int i = 0; i < 100; i++) {
      wall.millis.addAndGet(1_000); // 100 s of wall time: the bound is raised about 20 times
      last = first.now();
    }
    last = Math.max(last, first.observe(HybridLogicalClock.ts(wall.millis.get() + 50_000, 9)));
    assertThat(first.boundWriteCount()).isBetween(10L, 40L);

    // "crash": no close; the machine comes back with its wall clock an hour behind
    wall.millis.addAndGet(-3_600_000);
    HybridLogicalClock second = HybridLogicalClock.open(dir, wall, 10_000, 60_000);
    long afterRestart = second.now();
    assertThat(afterRestart).isGreaterThan(last);
    assertThat(second.now()).isGreaterThan(afterRestart);
  }

  @Test
  void boundIsRewrittenOnlyNearTheWindow() {
    FakeWallClock wall = new FakeWallClock();
    HybridLogicalClock clock = HybridLogicalClock.open(dir, wall, 10_000, 60_000);
    clock.now();
    assertThat(clock.boundWriteCount()).isEqualTo(1);
    for (int i = 0; i < 10_000; i++) {
      clock.now();
    }
    wall.millis.addAndGet(4_000);
    clock.now();
    assertThat(clock.boundWriteCount()).isEqualTo(1);
    wall.millis.addAndGet(2_000); // within half a window of the bound
    clock.now();
    assertThat(clock.boundWriteCount()).isEqualTo(2);
    assertThat(Files.exists(dir.resolve(HybridLogicalClock.BOUND_FILE + ".tmp"))).isFalse();
  }

  @Test
  void corruptBoundFileRefusesToStart() throws Exception {
    Files.write(dir.resolve(HybridLogicalClock.BOUND_FILE), new byte[] {1, 2, 3});
    assertThatThrownBy(() -> HybridLogicalClock.open(dir)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("corrupt");
    byte[] good = new byte[DurableLongFile.SIZE_BYTES];
    DurableLongFile.write(dir.resolve("x"), 5);
    byte[] written = Files.readAllBytes(dir.resolve("x"));
    System.arraycopy(written, 0, good, 0, good.length);
    good[7] ^= 1;
    Files.write(dir.resolve(HybridLogicalClock.BOUND_FILE), good);
    assertThatThrownBy(() -> HybridLogicalClock.open(dir)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void incarnationIsDurableAndIncreasesAtEveryCall() {
    assertThat(HybridLogicalClock.nextIncarnation(dir)).isEqualTo(1);
    assertThat(HybridLogicalClock.nextIncarnation(dir)).isEqualTo(2);
    assertThat(HybridLogicalClock.nextIncarnation(dir)).isEqualTo(3);
    assertThat(DurableLongFile.read(dir.resolve(HybridLogicalClock.INCARNATION_FILE), -1)).isEqualTo(3);
  }

  @Test
  void timestampPartsRoundTrip() {
    long ts = HybridLogicalClock.ts(T0, 65_535);
    assertThat(HybridLogicalClock.physicalMillis(ts)).isEqualTo(T0);
    assertThat(HybridLogicalClock.logical(ts)).isEqualTo(65_535);
    assertThat(HybridLogicalClock.format(ts)).isEqualTo(T0 + ".65535");
    assertThatThrownBy(() -> HybridLogicalClock.ts(T0, 65_536)).isInstanceOf(IllegalArgumentException.class);
  }
}
