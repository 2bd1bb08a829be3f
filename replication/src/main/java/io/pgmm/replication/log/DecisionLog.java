package io.pgmm.replication.log;

import io.pgmm.replication.Gid;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sidecar's own append-only log of commit decisions (DESIGN, commit path step 6): a node acknowledges a
 * PreCommit, and an origin sends one, only once its record is durable here.
 *
 * <h2>Group commit</h2>
 * {@link #append} only enqueues (bounded by {@link Options#maxPendingAppends}) and returns a future. One
 * writer thread takes everything pending (up to {@link Options#maxBatchRecords}), writes it with one
 * {@code write}, calls {@code FileChannel.force(false)} once, and then completes the batch's futures in
 * order. Many concurrent appends therefore cost one fsync; {@link #forceCount()} counts them. The futures
 * complete on the writer thread: keep dependent stages short or use the {@code *Async} variants.
 * An I/O error fails the batch and every later append (state {@link State#FAILED}); an fsync is never
 * retried, since after a failed fsync the kernel may have dropped the dirty pages (PostgreSQL's lesson).
 *
 * <h2>File format</h2>
 * {@value #FILE_NAME} = 8-byte magic {@code PGMMDL01}, then records as in {@link RecordCodec}
 * (length + CRC32C + payload). On open the file is scanned; the first record that is incomplete or fails
 * its checksum ends the log, and the file is truncated there (a torn tail from a crash mid-batch). Only the
 * last batch can be torn, because the next batch is written only after the previous force, so if more than
 * one batch's worth of bytes ({@code maxBatchRecords * MAX_RECORD_BYTES}) follows the bad record, the damage
 * is not a torn tail but corruption, and open refuses with {@link IllegalStateException}.
 *
 * <h2>Compaction</h2>
 * The writer keeps the latest record of every gid in memory (the live set). When the file passes
 * {@code max(compactAboveBytes, 2 * size after the last compaction)}, the writer writes the live set to
 * {@value #FILE_NAME}{@code .compact}, forces it, renames it atomically over the log and fsyncs the directory
 * (a crash leaves either the old or the new file; a stale {@code .compact} is deleted on open).
 * {@link #forget(Gid)} drops a gid from the live set (its decision is held by every peer and needs no tombstone
 * any more); until the next compaction a replay may still return it. Without forget the live set, and so the
 * memory and the compacted file, grows with every gid ever decided.
 */
public final class DecisionLog implements AutoCloseable {

  public static final String FILE_NAME = "decisions.log";
  private static final String COMPACT_SUFFIX = ".compact";
  private static final long MAGIC = 0x50474D4D444C3031L; // "PGMMDL01"
  static final int FILE_HEADER_BYTES = 8;

  private static final Logger log = LoggerFactory.getLogger(DecisionLog.class);

  /** Limits of one log. */
  public record Options(int maxBatchRecords, int maxPendingAppends, long compactAboveBytes) {
    public static final int DEFAULT_MAX_BATCH_RECORDS = 4096;
    public static final int DEFAULT_MAX_PENDING_APPENDS = 65_536;
    public static final long DEFAULT_COMPACT_ABOVE_BYTES = 64L << 20;

    public Options {
      if (maxBatchRecords < 1 || maxPendingAppends < 1 || compactAboveBytes < FILE_HEADER_BYTES) {
        throw new IllegalArgumentException("invalid decision log options");
      }
    }

    public static Options defaults() {
      return new Options(DEFAULT_MAX_BATCH_RECORDS, DEFAULT_MAX_PENDING_APPENDS, DEFAULT_COMPACT_ABOVE_BYTES);
    }
  }

  /** OPEN → CLOSED, or OPEN → FAILED (I/O error) → CLOSED. */
  public enum State { OPEN, FAILED, CLOSED }

  /** An append waiting for the writer. */
  private record Pending(DecisionRecord record, CompletableFuture<Void> done) {}

  private static final Pending STOP = new Pending(null, null);
  /** How long forgets may wait for an append to ride with before the writer applies them alone. */
  private static final long FORGET_IDLE_MILLIS = 100;

  private final Path dir;
  private final Path file;
  private final Options options;
  private final Map<Gid, DecisionRecord> replayed;
  private final TreeMap<Gid, DecisionRecord> live; // writer thread only
  private volatile int liveCount;
  private final BlockingQueue<Pending> queue;
  /** Gids to forget; a forget always follows its gid's durable append, so it never overtakes it. */
  private final Queue<Gid> forgotten = new ConcurrentLinkedQueue<>();
  private final ByteBuffer batchBuffer;
  private final Thread writer;
  private final AtomicLong forceCount = new AtomicLong();
  private final AtomicLong appendCount = new AtomicLong();
  private final AtomicLong compactionCount = new AtomicLong();
  private final long truncatedBytes;
  /** Guards admission to the queue together with {@link #state}, so no append is left behind by close or failure. */
  private final Object admission = new Object();
  private volatile State state = State.OPEN;
  private volatile Throwable failure;
  private FileChannel channel; // writer thread only, after open
  private long sizeBytes;
  private long compactAtBytes;

  private DecisionLog(Path dir, Options options) throws IOException {
    this.dir = dir;
    this.file = dir.resolve(FILE_NAME);
    this.options = options;
    Files.createDirectories(dir);
    Files.deleteIfExists(dir.resolve(FILE_NAME + COMPACT_SUFFIX));
    if (!Files.exists(file)) {
      writeNewFile(file, Collections.emptyList());
    }
    this.channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
    this.live = new TreeMap<>();
    long fileSize = channel.size();
    long validEnd = scan(channel, live);
    this.liveCount = live.size();
    long maxTornBytes = (long) options.maxBatchRecords() * RecordCodec.MAX_RECORD_BYTES;
    this.truncatedBytes = fileSize - validEnd;
    if (truncatedBytes > maxTornBytes) {
      channel.close();
      throw new IllegalStateException(file + " is corrupt at offset " + validEnd + " with " + truncatedBytes
          + " bytes after it, more than one batch (" + maxTornBytes + " bytes): not a torn tail, refusing to start");
    }
    if (truncatedBytes > 0) {
      log.warn("decision log torn tail truncated file={} offset={} droppedBytes={}", file, validEnd, truncatedBytes);
      channel.truncate(validEnd);
      channel.force(true);
    }
    this.sizeBytes = validEnd;
    this.compactAtBytes = Math.max(options.compactAboveBytes(), 2 * sizeBytes);
    this.replayed = Collections.unmodifiableMap(new TreeMap<>(live));
    this.queue = new ArrayBlockingQueue<>(options.maxPendingAppends());
    this.batchBuffer = ByteBuffer.allocateDirect(options.maxBatchRecords() * RecordCodec.MAX_RECORD_BYTES);
    this.writer = new Thread(this::runWriter, "pgmm-decision-log");
    this.writer.setDaemon(true);
    this.writer.start();
  }

  /** Opens (creating if needed) the log in {@code dir}, truncating a torn tail; see {@link #replay()}. */
  public static DecisionLog open(Path dir) {
    return open(dir, Options.defaults());
  }

  public static DecisionLog open(Path dir, Options options) {
    Objects.requireNonNull(dir, "dir");
    Objects.requireNonNull(options, "options");
    try {
      return new DecisionLog(dir, options);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open decision log in " + dir, e);
    }
  }

  /** The state of every gid found on open: its latest record. Ordered by gid; immutable. */
  public Map<Gid, DecisionRecord> replay() {
    return replayed;
  }

  /**
   * Appends a record; the future completes once it is durable (after the batch's fsync), or fails with
   * {@link IllegalStateException} when the log is closed, failed, or has {@code maxPendingAppends} waiting.
   * Never blocks, so it may be called from a Netty event loop.
   */
  public CompletableFuture<Void> append(DecisionRecord record) {
    Objects.requireNonNull(record, "record");
    CompletableFuture<Void> done = new CompletableFuture<>();
    enqueue(new Pending(record, done));
    return done;
  }

  /**
   * Lets the next compaction drop {@code gid}: every peer holds its decision and no tombstone is needed.
   * Call it only once the gid's last append has completed: forgets are applied with the next batch (or
   * within {@value #FORGET_IDLE_MILLIS} ms when no append comes), after that batch's appends. Not durable.
   */
  public void forget(Gid gid) {
    Objects.requireNonNull(gid, "gid");
    if (state == State.OPEN) {
      forgotten.add(gid); // no wake-up: one per forget cost the writer a thread switch per transaction
    }
  }

  private void enqueue(Pending p) {
    synchronized (admission) {
      State s = state;
      if (s != State.OPEN) {
        p.done().completeExceptionally(new IllegalStateException("decision log " + file + " is " + s, failure));
      } else if (!queue.offer(p)) {
        p.done().completeExceptionally(new IllegalStateException(
            "decision log " + file + " has " + options.maxPendingAppends() + " appends pending (limit)"));
      }
    }
  }

  public State state() {
    return state;
  }

  /** How many times the writer called {@code force}: one per batch (plus compactions). */
  /** Gids whose latest record the log keeps (not forgotten), as of the last batch written. */
  public int liveCount() {
    return liveCount;
  }

  public long forceCount() {
    return forceCount.get();
  }

  /** Records made durable since open. */
  public long appendCount() {
    return appendCount.get();
  }

  public long compactionCount() {
    return compactionCount.get();
  }

  /** Bytes of a torn tail dropped on open (0 after a clean shutdown). */
  public long truncatedBytesOnOpen() {
    return truncatedBytes;
  }

  /** Writes and forces everything appended before, then stops the writer. Idempotent. */
  @Override
  public void close() {
    synchronized (admission) {
      if (state == State.CLOSED) {
        return;
      }
      state = State.CLOSED; // nothing is admitted after this, so STOP is the queue's last entry
    }
    try {
      queue.put(STOP);
      writer.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      writer.interrupt();
    }
    synchronized (admission) {
      failRemaining(new IllegalStateException("decision log " + file + " is CLOSED"));
    }
  }

  // ---- writer thread ----

  private void runWriter() {
    List<Pending> batch = new ArrayList<>(options.maxBatchRecords());
    boolean stop = false;
    try {
      while (!stop) {
        batch.clear();
        Pending first = queue.poll(FORGET_IDLE_MILLIS, TimeUnit.MILLISECONDS);
        if (first != null) {
          batch.add(first);
          queue.drainTo(batch, options.maxBatchRecords() - 1);
        }
        stop = batch.remove(STOP);
        if (!batch.isEmpty() || !forgotten.isEmpty()) {
          writeBatch(batch);
          maybeCompact();
        }
      }
    } catch (IOException | RuntimeException e) {
      fail(e, batch);
    } catch (InterruptedException e) {
      fail(e, batch);
    } finally {
      try {
        channel.close();
      } catch (IOException e) {
        log.warn("decision log close failed file={}", file, e);
      }
    }
  }

  private void writeBatch(List<Pending> batch) throws IOException {
    batchBuffer.clear();
    for (Pending p : batch) {
      RecordCodec.encode(p.record(), batchBuffer);
    }
    if (!batch.isEmpty()) {
      batchBuffer.flip();
      long position = sizeBytes;
      while (batchBuffer.hasRemaining()) {
        position += channel.write(batchBuffer, position);
      }
      channel.force(false);
      forceCount.incrementAndGet();
      sizeBytes = position;
    }
    for (Pending p : batch) {
      live.put(p.record().gid(), p.record());
      appendCount.incrementAndGet();
    }
    for (Gid gid; (gid = forgotten.poll()) != null; ) {
      live.remove(gid);
    }
    liveCount = live.size();
    for (Pending p : batch) {
      p.done().complete(null);
    }
  }

  private void maybeCompact() throws IOException {
    if (sizeBytes < compactAtBytes) {
      return;
    }
    long before = sizeBytes;
    Path tmp = dir.resolve(FILE_NAME + COMPACT_SUFFIX);
    long after = writeNewFile(tmp, live.values());
    channel.close();
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    fsyncDirectory(dir);
    channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
    forceCount.incrementAndGet();
    compactionCount.incrementAndGet();
    sizeBytes = after;
    compactAtBytes = Math.max(options.compactAboveBytes(), 2 * after);
    log.info("decision log compacted file={} beforeBytes={} afterBytes={} liveGids={}", file, before, after,
        live.size());
  }

  private void fail(Throwable e, List<Pending> batch) {
    IllegalStateException error = new IllegalStateException("decision log " + file + " failed", e);
    synchronized (admission) {
      failure = e;
      if (state == State.OPEN) {
        state = State.FAILED;
      }
      failRemaining(error);
    }
    log.error("decision log failed, every later append fails file={}", file, e);
    for (Pending p : batch) {
      if (p != STOP) {
        p.done().completeExceptionally(error);
      }
    }
  }

  private void failRemaining(IllegalStateException error) {
    Pending p;
    while ((p = queue.poll()) != null) {
      if (p != STOP) {
        p.done().completeExceptionally(error);
      }
    }
  }

  // ---- file helpers ----

  /** Writes a complete log file (header + records), forced; returns its size. */
  private static long writeNewFile(Path path, Iterable<DecisionRecord> records) throws IOException {
    ByteBuffer buf = ByteBuffer.allocateDirect(64 * 1024);
    long size = 0;
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      buf.putLong(MAGIC);
      for (DecisionRecord r : records) {
        if (buf.remaining() < RecordCodec.MAX_RECORD_BYTES) {
          size += drain(ch, buf);
        }
        RecordCodec.encode(r, buf);
      }
      size += drain(ch, buf);
      ch.force(true);
    }
    fsyncDirectory(path.toAbsolutePath().getParent());
    return size;
  }

  private static int drain(FileChannel ch, ByteBuffer buf) throws IOException {
    buf.flip();
    int n = buf.remaining();
    while (buf.hasRemaining()) {
      ch.write(buf);
    }
    buf.clear();
    return n;
  }

  /** Reads every valid record into {@code into}; returns the offset just past the last valid one. */
  private long scan(FileChannel ch, Map<Gid, DecisionRecord> into) throws IOException {
    long fileSize = ch.size();
    ByteBuffer header = ByteBuffer.allocate(FILE_HEADER_BYTES);
    while (header.hasRemaining() && ch.read(header, header.position()) > 0) {
      // read fully
    }
    if (header.hasRemaining() || header.getLong(0) != MAGIC) {
      throw new IllegalStateException(file + " is not a pgmm decision log (bad header, " + fileSize + " bytes)");
    }
    ByteBuffer buf = ByteBuffer.allocate(1 << 20);
    long bufStart = FILE_HEADER_BYTES; // file offset of buf[0]
    long readPos = FILE_HEADER_BYTES;
    while (true) {
      int n = ch.read(buf, readPos);
      boolean eof = n <= 0 || readPos + n >= fileSize;
      if (n > 0) {
        readPos += n;
      }
      buf.flip();
      DecisionRecord r;
      while ((r = RecordCodec.decodeOrNull(buf)) != null) {
        into.put(r.gid(), r);
      }
      long validEnd = bufStart + buf.position();
      if (eof || buf.remaining() >= RecordCodec.MAX_RECORD_BYTES) {
        return validEnd; // a bad record, or the end of the file
      }
      bufStart = validEnd;
      buf.compact();
    }
  }

  static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }
}
