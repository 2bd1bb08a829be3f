package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.util.Objects;

/** Encoding helpers and argument checks shared by the message records. */
final class Wire {

  /** Counts on the wire are unsigned 16-bit (PostgreSQL reads them with pq_getmsgint(msg, 2)). */
  static final int MAX_COUNT16 = 0xFFFF;

  private static final int TO_STRING_MAX_BYTES = 32;

  private Wire() {}

  /** Checks a string may be written as a C string: not null, no NUL inside. */
  static String cstring(String value, String what) {
    Objects.requireNonNull(value, what);
    if (value.indexOf('\0') >= 0) {
      throw new IllegalArgumentException(what + " contains a NUL character");
    }
    return value;
  }

  /** Checks a count fits the unsigned 16-bit count that precedes it on the wire. */
  static void count16(int count, String what) {
    if (count > MAX_COUNT16) {
      throw new IllegalArgumentException(what + ": " + count + " entries, at most " + MAX_COUNT16);
    }
  }

  static void writeCString(ByteBuf out, String value) {
    ByteBufUtil.writeUtf8(out, value);
    out.writeByte(0);
  }

  /** Int32 length then the bytes, or length -1 for {@code null}. */
  static void writeNullableBytes(ByteBuf out, byte[] value) {
    if (value == null) {
      out.writeInt(-1);
    } else {
      out.writeInt(value.length);
      out.writeBytes(value);
    }
  }

  static void writeShorts(ByteBuf out, short[] values) {
    out.writeShort(values.length);
    for (short v : values) {
      out.writeShort(v);
    }
  }

  static void writeValues(ByteBuf out, byte[][] values) {
    out.writeShort(values.length);
    for (byte[] v : values) {
      writeNullableBytes(out, v);
    }
  }

  /** Length plus a hex prefix: enough to tell values apart in a test failure, short in a log. */
  static String bytesToString(byte[] value) {
    if (value == null) {
      return "null";
    }
    StringBuilder sb = new StringBuilder("byte[").append(value.length).append("]{");
    int n = Math.min(value.length, TO_STRING_MAX_BYTES);
    for (int i = 0; i < n; i++) {
      sb.append(Character.forDigit((value[i] >> 4) & 0xF, 16)).append(Character.forDigit(value[i] & 0xF, 16));
    }
    return sb.append(value.length > n ? "...}" : "}").toString();
  }

  /** For secrets: the length only. */
  static String redacted(byte[] value) {
    return value == null ? "null" : "byte[" + value.length + "]{redacted}";
  }

  static String valuesToString(byte[][] values) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < values.length; i++) {
      sb.append(i == 0 ? "" : ", ").append(bytesToString(values[i]));
    }
    return sb.append(']').toString();
  }

  /** A type byte as shown in an error message: the character if printable ASCII, else its value. */
  static String typeByte(byte type) {
    return type >= 0x21 && type <= 0x7E ? "'" + (char) type + "'" : Integer.toString(type & 0xFF);
  }
}
