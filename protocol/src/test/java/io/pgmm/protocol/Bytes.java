package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Writes protocol bytes by hand, big-endian, so tests state exactly what is on the wire. */
final class Bytes {

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  static Bytes bytes() {
    return new Bytes();
  }

  /** A type byte. */
  Bytes type(char code) {
    return i8(code);
  }

  Bytes i8(int value) {
    out.write(value);
    return this;
  }

  Bytes i16(int value) {
    return i8(value >>> 8).i8(value);
  }

  Bytes i32(int value) {
    return i16(value >>> 16).i16(value);
  }

  /** UTF-8 then NUL. */
  Bytes cstr(String value) {
    return raw(value).i8(0);
  }

  /** UTF-8, no terminator. */
  Bytes raw(String value) {
    return raw(value.getBytes(StandardCharsets.UTF_8));
  }

  Bytes raw(byte... value) {
    out.writeBytes(value);
    return this;
  }

  byte[] array() {
    return out.toByteArray();
  }

  ByteBuf buf() {
    return Unpooled.wrappedBuffer(array());
  }

  static byte[] utf8(String value) {
    return value.getBytes(StandardCharsets.UTF_8);
  }
}
