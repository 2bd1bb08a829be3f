package io.pgmm.replication.clock;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * One {@code long} kept durably in a small file: magic (4 bytes), value (8), CRC32C of both (4).
 * Written as a temporary file, fsynced, renamed atomically over the old one, then the directory is
 * fsynced, so after a crash the file holds either the old or the new value, never a mix. A file that
 * exists but fails its checksum is an error (never silently reset: the values guard gid reuse and
 * clock monotonicity).
 */
final class DurableLongFile {

  static final int SIZE_BYTES = 16;
  private static final int MAGIC = 0x70676D4C; // "pgmL"

  private DurableLongFile() {}

  /** The stored value, or {@code missingValue} when the file does not exist. */
  static long read(Path file, long missingValue) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return missingValue;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    if (bytes.length != SIZE_BYTES) {
      throw new IllegalStateException(file + " is corrupt: " + bytes.length + " bytes, expected " + SIZE_BYTES);
    }
    ByteBuffer buf = ByteBuffer.wrap(bytes);
    int magic = buf.getInt();
    long value = buf.getLong();
    int crc = buf.getInt();
    if (magic != MAGIC || crc != crc(bytes)) {
      throw new IllegalStateException(file + " is corrupt: bad magic or checksum");
    }
    return value;
  }

  static void write(Path file, long value) {
    ByteBuffer buf = ByteBuffer.allocate(SIZE_BYTES);
    buf.putInt(MAGIC).putLong(value);
    buf.putInt(crc(buf.array()));
    buf.flip();
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IllegalStateException("the file system of " + file + " cannot rename atomically", e);
      }
      fsyncDirectory(file.toAbsolutePath().getParent());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /** Makes a rename or a file creation in {@code dir} durable (Linux allows fsync of a directory). */
  static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  private static int crc(byte[] bytes) {
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, 12);
    return (int) crc.getValue();
  }
}
