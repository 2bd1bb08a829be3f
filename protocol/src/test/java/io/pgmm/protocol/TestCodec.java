package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Frames and decodes whole byte arrays the way a session would; for tests only. */
final class TestCodec {

  static final int MAX_MESSAGE_BYTES = 1 << 20;

  private TestCodec() {}

  /** One typed frontend message, framed then decoded; fails if the bytes are not exactly one frame. */
  static TypedFrontendMessage frontend(byte[] wire, PasswordKind kind) {
    ByteBuf in = Unpooled.wrappedBuffer(wire);
    try (Frame frame = requireWhole(new MessageFramer(MAX_MESSAGE_BYTES).nextFrame(in), in)) {
      return FrontendDecoder.decode(frame.type(), frame.payload(), kind);
    } finally {
      in.release();
    }
  }

  static TypedFrontendMessage frontend(byte[] wire) {
    return frontend(wire, PasswordKind.PASSWORD);
  }

  static StartupPacket startup(byte[] wire) {
    ByteBuf in = Unpooled.wrappedBuffer(wire);
    try (Frame frame = requireWhole(new MessageFramer(MAX_MESSAGE_BYTES).nextStartupFrame(in), in)) {
      return FrontendDecoder.decodeStartup(frame.payload());
    } finally {
      in.release();
    }
  }

  static BackendMessage backend(byte[] wire) {
    ByteBuf in = Unpooled.wrappedBuffer(wire);
    try (Frame frame = requireWhole(new MessageFramer(MAX_MESSAGE_BYTES).nextFrame(in), in)) {
      return BackendDecoder.decode(frame.type(), frame.payload());
    } finally {
      in.release();
    }
  }

  private static Frame requireWhole(Frame frame, ByteBuf in) {
    if (frame == null || in.isReadable()) {
      throw new AssertionError("bytes are not exactly one frame: " + ByteBufUtil.hexDump(in));
    }
    return frame;
  }

  static byte[] encode(FrontendMessage message) {
    ByteBuf out = Unpooled.buffer();
    FrontendEncoder.encode(message, out);
    return bytesOf(out);
  }

  static byte[] encode(BackendMessage message) {
    ByteBuf out = Unpooled.buffer();
    BackendEncoder.encode(message, out);
    return bytesOf(out);
  }

  private static byte[] bytesOf(ByteBuf out) {
    try {
      return ByteBufUtil.getBytes(out);
    } finally {
      out.release();
    }
  }

  static byte[] concat(List<byte[]> parts) {
    int n = parts.stream().mapToInt(p -> p.length).sum();
    byte[] all = new byte[n];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, all, at, p.length);
      at += p.length;
    }
    return all;
  }

  /** Every record class that can be reached through the permits of a sealed interface. */
  static Set<Class<?>> leafRecords(Class<?> sealed) {
    Set<Class<?>> leaves = new LinkedHashSet<>();
    List<Class<?>> todo = new ArrayList<>(List.of(sealed));
    while (!todo.isEmpty()) {
      Class<?> c = todo.remove(todo.size() - 1);
      if (c.isRecord()) {
        leaves.add(c);
      } else if (c.isSealed()) {
        todo.addAll(Arrays.asList(c.getPermittedSubclasses()));
      } else {
        throw new AssertionError(c + " is neither a record nor sealed");
      }
    }
    return leaves;
  }
}
