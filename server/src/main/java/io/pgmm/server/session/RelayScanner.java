package io.pgmm.server.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.pgmm.protocol.MessageFramer;

/**
 * Walks a relayed byte stream message by message without copying it. Messages the session must
 * read (a statement's text, ReadyForQuery) are held until whole and shown to the {@link
 * Inspector}; every other message is forwarded as its bytes arrive, so a 1 GB DataRow or COPY
 * chunk never sits whole in the sidecar's memory. Each call returns one slice covering every byte
 * that may go on, which keeps the relay at one write per read.
 *
 * <p>Every header is checked against the message size limit before the body is waited for.
 */
final class RelayScanner {

  /** Decides which messages the session reads and receives them. */
  interface Inspector {
    boolean wantsWhole(byte type);

    /** Sees one whole message; {@code payload} is its body, valid only during the call. */
    void inspect(byte type, ByteBuf payload);
  }

  private static final int HEADER_BYTES = 5;

  private final int maxMessageBytes;
  private final Inspector inspector;
  private ByteBuf cumulation;
  private long passThroughRemainingBytes;

  RelayScanner(int maxMessageBytes, Inspector inspector) {
    this.maxMessageBytes = maxMessageBytes;
    this.inspector = inspector;
  }

  /**
   * Takes ownership of {@code in} and returns the bytes that may be forwarded now (possibly
   * empty, never null); the caller owns the returned buffer.
   */
  ByteBuf scan(ByteBufAllocator alloc, ByteBuf in) {
    ByteBuf buf = cumulation == null ? in : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(alloc, cumulation, in);
    cumulation = null;
    int start = buf.readerIndex();
    int pos = start;
    int end = buf.writerIndex();
    try {
      while (true) {
        if (passThroughRemainingBytes > 0) {
          int n = (int) Math.min(passThroughRemainingBytes, end - pos);
          pos += n;
          passThroughRemainingBytes -= n;
          if (passThroughRemainingBytes > 0) {
            break;
          }
          continue;
        }
        if (end - pos < HEADER_BYTES) {
          break;
        }
        byte type = buf.getByte(pos);
        int length = MessageFramer.checkedLength(type, buf.getInt(pos + 1), maxMessageBytes);
        if (inspector.wantsWhole(type)) {
          if (end - pos < 1 + length) {
            break;
          }
          inspector.inspect(type, buf.slice(pos + HEADER_BYTES, length - 4));
          pos += 1 + length;
        } else {
          pos += HEADER_BYTES;
          passThroughRemainingBytes = length - 4;
        }
      }
    } catch (RuntimeException e) {
      buf.release();
      throw e;
    }
    ByteBuf forward = pos == start ? Unpooled.EMPTY_BUFFER : buf.retainedSlice(start, pos - start);
    buf.readerIndex(pos);
    if (buf.isReadable()) {
      cumulation = buf;
    } else {
      buf.release();
    }
    return forward;
  }

  /** Bytes held back because the message they start is not whole yet. */
  int heldBytes() {
    return cumulation == null ? 0 : cumulation.readableBytes();
  }

  void release() {
    if (cumulation != null) {
      cumulation.release();
      cumulation = null;
    }
  }
}
