package io.pgmm.replication.clock;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A hybrid logical clock: one {@code long}, physical milliseconds since the epoch in the high 48 bits,
 * a logical counter in the low {@value #LOGICAL_BITS} bits. Timestamps compare as plain longs.
 *
 * <ul>
 *   <li>{@link #now()} is strictly increasing per call, across threads (one CAS, no lock on the hot path).
 *   <li>{@link #observe(long)} returns a timestamp above both the remote one and every earlier local one.
 *   <li>It never goes backwards: when the wall clock steps back, the physical part stays where it was and the
 *       logical counter advances; a counter overflow carries into the physical part (a timestamp at most runs
 *       ahead of the wall clock, never behind an earlier one).
 *   <li>Across restarts: a file {@value #BOUND_FILE} in the data directory holds an upper bound on every
 *       timestamp this clock has handed out. No timestamp at or above the stored bound is returned before a
 *       higher bound is durable; the bound is raised to {@code physical + boundWindowMillis} once a timestamp
 *       comes within half a window of it (so about one fsync per {@code boundWindowMillis / 2} of wall time,
 *       taken by the caller that crosses the line, under a lock). At start the clock begins at the stored
 *       bound, so it is above everything handed out before the crash even if the wall clock went back.
 *   <li>A remote timestamp more than {@code maxForwardDriftMillis} ahead of the local wall clock is refused
 *       with {@link ClockDriftException}: one peer with a broken clock must not drag every node's clock (and
 *       the persisted bound) into the far future.
 * </ul>
 */
public final class HybridLogicalClock {

  public static final int LOGICAL_BITS = 16;
  public static final long LOGICAL_MASK = (1L << LOGICAL_BITS) - 1;
  public static final String BOUND_FILE = "hlc.bound";
  public static final String INCARNATION_FILE = "incarnation";
  public static final long DEFAULT_BOUND_WINDOW_MILLIS = 10_000;
  public static final long DEFAULT_MAX_FORWARD_DRIFT_MILLIS = 60_000;
  /** Physical milliseconds must stay below 2^47 (year 6429) so a timestamp stays a positive long. */
  static final long MAX_PHYSICAL_MILLIS = (1L << (63 - LOGICAL_BITS)) - 1;

  private static final Logger log = LoggerFactory.getLogger(HybridLogicalClock.class);

  private final WallClock wallClock;
  private final Path boundFile; // null: not persisted (tests, tools)
  private final long boundWindowMillis;
  private final long maxForwardDriftMillis;
  private final AtomicLong lastTs;
  private final Object boundLock = new Object();
  /** Every timestamp handed out has physical part below this; durable in {@link #boundFile}. */
  private volatile long boundMillis;
  private final AtomicLong boundWriteCount = new AtomicLong();

  private HybridLogicalClock(WallClock wallClock, Path boundFile, long boundWindowMillis,
      long maxForwardDriftMillis) {
    if (boundWindowMillis < 2 || maxForwardDriftMillis < 1) {
      throw new IllegalArgumentException("boundWindowMillis must be >= 2 and maxForwardDriftMillis >= 1");
    }
    this.wallClock = Objects.requireNonNull(wallClock, "wallClock");
    this.boundFile = boundFile;
    this.boundWindowMillis = boundWindowMillis;
    this.maxForwardDriftMillis = maxForwardDriftMillis;
    long storedBound = boundFile == null ? 0 : DurableLongFile.read(boundFile, 0);
    if (storedBound < 0 || storedBound > MAX_PHYSICAL_MILLIS) {
      throw new IllegalStateException(boundFile + " holds an impossible bound " + storedBound);
    }
    // Start at the stored bound: every timestamp of an earlier run was below it.
    this.lastTs = new AtomicLong(ts(storedBound, 0));
    this.boundMillis = boundFile == null ? Long.MAX_VALUE : storedBound;
  }

  /** A clock persisted under {@code dataDir} with the system wall clock and default windows. */
  public static HybridLogicalClock open(Path dataDir) {
    return open(dataDir, WallClock.SYSTEM, DEFAULT_BOUND_WINDOW_MILLIS, DEFAULT_MAX_FORWARD_DRIFT_MILLIS);
  }

  public static HybridLogicalClock open(Path dataDir, WallClock wallClock, long boundWindowMillis,
      long maxForwardDriftMillis) {
    createDirectories(dataDir);
    return new HybridLogicalClock(wallClock, dataDir.resolve(BOUND_FILE), boundWindowMillis, maxForwardDriftMillis);
  }

  /** A clock that is not persisted (tests, tools): monotonic only within this process. */
  public static HybridLogicalClock inMemory(WallClock wallClock) {
    return new HybridLogicalClock(wallClock, null, DEFAULT_BOUND_WINDOW_MILLIS, DEFAULT_MAX_FORWARD_DRIFT_MILLIS);
  }

  /** A new timestamp, greater than every timestamp this clock returned or observed before. */
  public long now() {
    long wallTs = ts(wallMillis(), 0);
    while (true) {
      long prev = lastTs.get();
      long next = Math.max(wallTs, prev + 1);
      if (lastTs.compareAndSet(prev, next)) {
        return checkBound(next);
      }
    }
  }

  /**
   * Advances past a remote timestamp (a peer's prepareTs or vote) and returns a new local timestamp greater
   * than both it and every earlier local one.
   *
   * @throws ClockDriftException if {@code remoteTs} is more than {@code maxForwardDriftMillis} ahead of the
   *     local wall clock; the clock is left unchanged
   */
  public long observe(long remoteTs) {
    if (remoteTs < 0) {
      throw new IllegalArgumentException("negative timestamp " + remoteTs);
    }
    long wallMillis = wallMillis();
    long remoteMillis = physicalMillis(remoteTs);
    if (remoteMillis - wallMillis > maxForwardDriftMillis) {
      throw new ClockDriftException("remote timestamp " + format(remoteTs) + " is " + (remoteMillis - wallMillis)
          + " ms ahead of this node's wall clock (limit " + maxForwardDriftMillis + " ms): check NTP on both nodes");
    }
    long wallTs = ts(wallMillis, 0);
    while (true) {
      long prev = lastTs.get();
      long next = Math.max(wallTs, Math.max(prev, remoteTs) + 1);
      if (lastTs.compareAndSet(prev, next)) {
        return checkBound(next);
      }
    }
  }

  /** The latest timestamp handed out or observed, without advancing (for metrics and tests). */
  public long current() {
    return lastTs.get();
  }

  /** How often the persisted bound was rewritten (each is one fsync). */
  public long boundWriteCount() {
    return boundWriteCount.get();
  }

  public static long physicalMillis(long ts) {
    return ts >>> LOGICAL_BITS;
  }

  public static int logical(long ts) {
    return (int) (ts & LOGICAL_MASK);
  }

  public static long ts(long physicalMillis, int logical) {
    if (physicalMillis < 0 || physicalMillis > MAX_PHYSICAL_MILLIS || logical < 0 || logical > LOGICAL_MASK) {
      throw new IllegalArgumentException("timestamp parts out of range: " + physicalMillis + "." + logical);
    }
    return (physicalMillis << LOGICAL_BITS) | logical;
  }

  /** {@code <millis>.<logical>}, for logs and errors. */
  public static String format(long ts) {
    return physicalMillis(ts) + "." + logical(ts);
  }

  /**
   * Reads the incarnation counter in {@code dataDir} (0 when absent), stores the value + 1 durably and
   * returns it. Call once per sidecar start; a gid's incarnation is never reused, even after a crash.
   */
  public static long nextIncarnation(Path dataDir) {
    createDirectories(dataDir);
    Path file = dataDir.resolve(INCARNATION_FILE);
    long current = DurableLongFile.read(file, 0);
    if (current < 0 || current == Long.MAX_VALUE) {
      throw new IllegalStateException(file + " holds an impossible incarnation " + current);
    }
    long next = current + 1;
    DurableLongFile.write(file, next);
    return next;
  }

  private long wallMillis() {
    long millis = wallClock.currentTimeMillis();
    if (millis < 0 || millis > MAX_PHYSICAL_MILLIS) {
      throw new IllegalStateException("wall clock out of range: " + millis);
    }
    return millis;
  }

  /** Returns {@code ts} once it is durably below the bound, raising the bound when it comes near. */
  private long checkBound(long ts) {
    long millis = physicalMillis(ts);
    if (millis + boundWindowMillis / 2 < boundMillis) {
      return ts; // hot path: far enough below the durable bound
    }
    synchronized (boundLock) {
      long bound = boundMillis;
      if (millis + boundWindowMillis / 2 >= bound) {
        long newBound = Math.min(MAX_PHYSICAL_MILLIS, Math.max(millis, wallMillis()) + boundWindowMillis);
        if (millis >= newBound) {
          throw new IllegalStateException("hybrid logical clock exhausted at " + format(ts));
        }
        DurableLongFile.write(boundFile, newBound);
        boundWriteCount.incrementAndGet();
        boundMillis = newBound;
        if (bound == 0) {
          log.info("hybrid logical clock bound initialised boundMillis={}", newBound);
        }
      }
    }
    return ts;
  }

  private static void createDirectories(Path dir) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dir, e);
    }
  }
}
