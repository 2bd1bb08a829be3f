package io.pgmm.server.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.pgmm.protocol.MessageFramer;
import java.util.function.Consumer;

/**
 * Walks a relayed byte stream message by message without copying it. Messages the session must
 * read (a statement's text, ReadyForQuery) are held until whole and shown to the {@link
 * Inspector}, which may keep them in the stream or take them out; every other message is
 * forwarded as its bytes arrive, so a 1 GB DataRow or COPY chunk never sits whole in the
 * sidecar's memory. Kept bytes leave in as few slices as possible: one per read when nothing is
 * taken out, which keeps the relay at one write per read.
 *
 * <p>Every header is checked against the message size limit before the body is waited for.
 */
final class RelayScanner {

  /** Decides which messages the session reads and receives them. */
  interface Inspector {
    boolean wantsWhole(byte type);

    /**
     * Sees one whole message, header included, valid only during the call (retain it to keep
     * it). Returns whether it stays in the relayed stream.
     */
    boolean inspect(byte type, ByteBuf message);
  }

  private static final int HEADER_BYTES = MessageFramer.HEADER_BYTES;

  private final int maxMessageBytes;
  private final Inspector inspector;
  private final boolean emitBeforeInspect;
  private ByteBuf cumulation;
  private long passThroughRemainingBytes;

  RelayScanner(int maxMessageBytes, Inspector inspector) {
    this(maxMessageBytes, inspector, false);
  }

  /**
   * @param emitBeforeInspect hand the kept bytes before each inspected message to the sink first,
   *     so an inspector that writes to the same destination itself keeps the stream's order
   */
  RelayScanner(int maxMessageBytes, Inspector inspector, boolean emitBeforeInspect) {
    this.maxMessageBytes = maxMessageBytes;
    this.inspector = inspector;
    this.emitBeforeInspect = emitBeforeInspect;
  }

  /**
   * Takes ownership of {@code in} and hands every run of bytes that may be forwarded now to
   * {@code sink}, in order; the sink owns what it receives.
   */
  void scan(ByteBufAllocator alloc, ByteBuf in, Consumer<ByteBuf> sink) {
    ByteBuf buf = cumulation == null ? in : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(alloc, cumulation, in);
    cumulation = null;
    int keptFrom = buf.readerIndex();
    int pos = keptFrom;
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
          if (emitBeforeInspect && pos > keptFrom) {
            sink.accept(buf.retainedSlice(keptFrom, pos - keptFrom));
            keptFrom = pos;
          }
          if (!inspector.inspect(type, buf.slice(pos, 1 + length))) {
            if (pos > keptFrom) {
              sink.accept(buf.retainedSlice(keptFrom, pos - keptFrom));
            }
            keptFrom = pos + 1 + length;
          }
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
    if (pos > keptFrom) {
      sink.accept(buf.retainedSlice(keptFrom, pos - keptFrom));
    }
    buf.readerIndex(pos);
    if (buf.isReadable()) {
      cumulation = buf;
    } else {
      buf.release();
    }
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
