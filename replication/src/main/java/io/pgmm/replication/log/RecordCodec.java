package io.pgmm.replication.log;

import io.pgmm.replication.Gid;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The on-disk form of a {@link DecisionRecord}:
 *
 * <pre>
 *   int32 payloadLength   (1..MAX_PAYLOAD_BYTES)
 *   int32 crc32c(payload)
 *   payload: byte type, Gid (int32 originNode, int64 incarnation, int64 seq), type-specific fields
 * </pre>
 *
 * Big-endian. No I/O here.
 */
final class RecordCodec {

  static final int HEADER_BYTES = 8;
  private static final int GID_BYTES = 4 + 8 + 8;
  static final int MAX_PAYLOAD_BYTES = 1 + GID_BYTES + 3 * 8;
  static final int MAX_RECORD_BYTES = HEADER_BYTES + MAX_PAYLOAD_BYTES;

  /** Wire code of each record type; never renumber. */
  enum Type {
    PRE_COMMIT(1, 1 + GID_BYTES + 3 * 8),
    COMMITTED(2, 1 + GID_BYTES),
    ABORTED(3, 1 + GID_BYTES);

    final byte code;
    final int payloadBytes;

    Type(int code, int payloadBytes) {
      this.code = (byte) code;
      this.payloadBytes = payloadBytes;
    }

    static Type of(byte code) {
      for (Type t : values()) {
        if (t.code == code) {
          return t;
        }
      }
      return null;
    }

    static Type of(DecisionRecord r) {
      if (r instanceof DecisionRecord.PreCommit) {
        return PRE_COMMIT;
      } else if (r instanceof DecisionRecord.Committed) {
        return COMMITTED;
      } else if (r instanceof DecisionRecord.Aborted) {
        return ABORTED;
      }
      throw new IllegalStateException("unknown decision record " + r);
    }
  }

  private RecordCodec() {}

  /** Appends the record's bytes to {@code out}, which must have {@link #MAX_RECORD_BYTES} remaining. */
  static void encode(DecisionRecord r, ByteBuffer out) {
    Type type = Type.of(r);
    int start = out.position();
    out.putInt(type.payloadBytes);
    out.putInt(0); // crc, filled below
    int payloadStart = out.position();
    out.put(type.code);
    Gid gid = r.gid();
    out.putInt(gid.originNode()).putLong(gid.incarnation()).putLong(gid.seq());
    if (r instanceof DecisionRecord.PreCommit p) {
      out.putLong(p.generation()).putLong(p.ballot()).putLong(p.commitTs());
    }
    if (out.position() - payloadStart != type.payloadBytes) {
      throw new IllegalStateException("encoded " + type + " has the wrong size");
    }
    out.putInt(start + 4, crc(out, payloadStart, type.payloadBytes));
  }

  /**
   * Decodes the record at {@code in}'s position and advances past it, or returns null (position unchanged)
   * when the bytes there are not a whole valid record: too short, a bad length, a bad checksum, an unknown
   * type or invalid fields.
   */
  static DecisionRecord decodeOrNull(ByteBuffer in) {
    int start = in.position();
    if (in.remaining() < HEADER_BYTES) {
      return null;
    }
    int length = in.getInt(start);
    int crc = in.getInt(start + 4);
    if (length < 1 || length > MAX_PAYLOAD_BYTES || in.remaining() < HEADER_BYTES + length) {
      return null;
    }
    int payloadStart = start + HEADER_BYTES;
    if (crc(in, payloadStart, length) != crc) {
      return null;
    }
    Type type = Type.of(in.get(payloadStart));
    if (type == null || type.payloadBytes != length) {
      return null;
    }
    ByteBuffer p = in.duplicate().position(payloadStart + 1);
    DecisionRecord r;
    try {
      Gid gid = new Gid(p.getInt(), p.getLong(), p.getLong());
      r = switch (type) {
        case PRE_COMMIT -> new DecisionRecord.PreCommit(gid, p.getLong(), p.getLong(), p.getLong());
        case COMMITTED -> new DecisionRecord.Committed(gid);
        case ABORTED -> new DecisionRecord.Aborted(gid);
      };
    } catch (IllegalArgumentException e) {
      return null;
    }
    in.position(payloadStart + length);
    return r;
  }

  private static int crc(ByteBuffer buf, int offset, int length) {
    CRC32C crc = new CRC32C();
    crc.update(buf.duplicate().limit(offset + length).position(offset));
    return (int) crc.getValue();
  }
}
