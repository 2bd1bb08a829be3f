package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * Reads one message body, checking every length and count against the bytes left before it reads
 * or allocates anything, and reporting each failure as a {@link ProtocolViolation} that names the
 * message. Works on a duplicate: the caller's buffer indices and reference count are untouched.
 */
final class PayloadReader {

  private final ByteBuf buf;
  private String messageName;

  PayloadReader(ByteBuf payload, String messageName) {
    this.buf = payload.duplicate();
    this.messageName = messageName;
  }

  /** Names the message in later violations, once its code has told which it is. */
  void messageName(String name) {
    this.messageName = name;
  }

  ProtocolViolation violation(String what) {
    return new ProtocolViolation("invalid " + messageName + " message: " + what);
  }

  int remaining() {
    return buf.readableBytes();
  }

  private void need(long bytes, String what) {
    if (buf.readableBytes() < bytes) {
      throw violation("insufficient data left in message for " + what);
    }
  }

  byte int8(String what) {
    need(1, what);
    return buf.readByte();
  }

  short int16(String what) {
    need(2, what);
    return buf.readShort();
  }

  int int32(String what) {
    need(4, what);
    return buf.readInt();
  }

  /** A UTF-8 string up to its NUL; malformed UTF-8 becomes U+FFFD (PostgreSQL checks encodings). */
  String cstring(String what) {
    int start = buf.readerIndex();
    int nul = buf.indexOf(start, buf.writerIndex(), (byte) 0);
    if (nul < 0) {
      throw violation("missing terminator of " + what);
    }
    String value = buf.toString(start, nul - start, StandardCharsets.UTF_8);
    buf.readerIndex(nul + 1);
    return value;
  }

  /** Consumes the NUL that ends a list of strings or fields, if it is next. */
  boolean terminator(String what) {
    need(1, "terminator of " + what);
    if (buf.getByte(buf.readerIndex()) == 0) {
      buf.skipBytes(1);
      return true;
    }
    return false;
  }

  /** An unsigned 16-bit count of items of at least {@code minItemBytes} each, checked against what is left. */
  int count16(String what, int minItemBytes) {
    int count = Short.toUnsignedInt(int16("count of " + what));
    if ((long) count * minItemBytes > buf.readableBytes()) {
      throw violation(count + " " + what + " announced but only " + buf.readableBytes() + " bytes left");
    }
    return count;
  }

  /** A signed 32-bit count, as in NegotiateProtocolVersion. */
  int count32(String what, int minItemBytes) {
    int count = int32("count of " + what);
    if (count < 0) {
      throw violation("negative count " + count + " of " + what);
    }
    if ((long) count * minItemBytes > buf.readableBytes()) {
      throw violation(count + " " + what + " announced but only " + buf.readableBytes() + " bytes left");
    }
    return count;
  }

  byte[] bytes(int length, String what) {
    need(length, what);
    byte[] value = new byte[length];
    buf.readBytes(value);
    return value;
  }

  /** Int32 length then that many bytes; length -1 is {@code null}, any other negative a violation. */
  byte[] nullableBytes(String what) {
    int length = int32("length of " + what);
    if (length == -1) {
      return null;
    }
    if (length < 0) {
      throw violation("invalid length " + length + " of " + what);
    }
    if (length > buf.readableBytes()) {
      throw violation("length " + length + " of " + what + " exceeds the " + buf.readableBytes() + " bytes left");
    }
    return bytes(length, what);
  }

  short[] shorts(String what) {
    int n = count16(what, 2);
    short[] values = new short[n];
    for (int i = 0; i < n; i++) {
      values[i] = buf.readShort();
    }
    return values;
  }

  int[] ints(String what) {
    int n = count16(what, 4);
    int[] values = new int[n];
    for (int i = 0; i < n; i++) {
      values[i] = buf.readInt();
    }
    return values;
  }

  byte[][] values(String what) {
    int n = count16(what, 4);
    byte[][] values = new byte[n][];
    for (int i = 0; i < n; i++) {
      values[i] = nullableBytes(what);
    }
    return values;
  }

  byte[] rest() {
    return bytes(buf.readableBytes(), "data");
  }

  /** Every declared field has been read: anything left is trailing garbage. */
  void end() {
    if (buf.isReadable()) {
      throw violation(buf.readableBytes() + " unexpected bytes after the last field");
    }
  }
}
