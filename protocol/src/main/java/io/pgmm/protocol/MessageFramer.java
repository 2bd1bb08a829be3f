package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;

/**
 * Cuts a byte stream into frames; knows lengths, not meanings ({@link FrontendDecoder} and
 * {@link BackendDecoder} interpret the frames). Does no I/O and holds no buffer: the caller
 * accumulates bytes (e.g. in a ByteToMessageDecoder) and calls again when more arrive.
 *
 * <pre>
 * startup packet (first packet of a connection, and again after SSLRequest/GSSENCRequest is answered):
 *   +--------------+------------------------------------+
 *   | int32 length | body: int32 code, then its fields  |   length counts itself, 8..10_000
 *   +--------------+------------------------------------+
 * every other message, both directions:
 *   +------+--------------+-------------------+
 *   | type | int32 length | body              |          length counts itself, not type: 4..maxMessageBytes
 *   +------+--------------+-------------------+
 * </pre>
 *
 * <p>Limits are checked from the header alone, before the body is waited for or anything is
 * allocated, so a peer announcing 2 GB is refused after 5 bytes. A violation leaves the buffer
 * as it was; the connection is to be closed.
 */
public final class MessageFramer {

  /**
   * Largest startup packet after its length word, PostgreSQL's MAX_STARTUP_PACKET_LENGTH: the
   * length word itself may say up to 10,004.
   */
  public static final int MAX_STARTUP_PACKET_BYTES = 10_000;
  /** Smallest startup packet: the length word and a code. */
  public static final int MIN_STARTUP_PACKET_BYTES = 8;
  /** Smallest length word of a typed message: itself, empty body. */
  public static final int MIN_MESSAGE_LENGTH = 4;
  /** Type byte and length word. */
  public static final int HEADER_BYTES = 5;

  private final int maxMessageBytes;

  /**
   * @param maxMessageBytes largest length word accepted (it counts itself but not the type byte)
   */
  public MessageFramer(int maxMessageBytes) {
    if (maxMessageBytes < MIN_MESSAGE_LENGTH) {
      throw new IllegalArgumentException("maxMessageBytes must be at least " + MIN_MESSAGE_LENGTH + ", got " + maxMessageBytes);
    }
    this.maxMessageBytes = maxMessageBytes;
  }

  public int maxMessageBytes() {
    return maxMessageBytes;
  }

  /**
   * The next startup packet, or {@code null} if it is not whole yet (nothing consumed then).
   *
   * @return a frame of type {@link Frame#STARTUP} whose payload starts with the int32 code
   * @throws ProtocolViolation if the length word is out of bounds, as soon as it has arrived
   */
  public Frame nextStartupFrame(ByteBuf in) {
    if (in.readableBytes() < 4) {
      return null;
    }
    int length = checkedStartupLength(in.getInt(in.readerIndex()));
    if (in.readableBytes() < length) {
      return null;
    }
    in.skipBytes(4);
    return new Frame(Frame.STARTUP, in.readRetainedSlice(length - 4));
  }

  /**
   * The next typed message, or {@code null} if it is not whole yet (nothing consumed then).
   *
   * @throws ProtocolViolation if the length word is out of bounds, as soon as the header has arrived
   */
  public Frame nextFrame(ByteBuf in) {
    if (in.readableBytes() < HEADER_BYTES) {
      return null;
    }
    int start = in.readerIndex();
    byte type = in.getByte(start);
    int length = checkedLength(type, in.getInt(start + 1), maxMessageBytes);
    if (in.readableBytes() - 1 < length) {
      return null;
    }
    in.skipBytes(HEADER_BYTES);
    return new Frame(type, in.readRetainedSlice(length - 4));
  }

  /**
   * Checks the length word of a typed message, for relays that stream a body instead of framing
   * it whole. The type is only used in the error message; it is not checked.
   *
   * @return {@code length}, which counts itself: the body is {@code length - 4} bytes
   * @throws ProtocolViolation if {@code length < 4} or {@code length > maxMessageBytes}
   */
  public static int checkedLength(byte type, int length, int maxMessageBytes) {
    if (length < MIN_MESSAGE_LENGTH) {
      throw new ProtocolViolation("invalid message length " + length + " for message type " + Wire.typeByte(type));
    }
    if (length > maxMessageBytes) {
      throw new ProtocolViolation("message type " + Wire.typeByte(type) + " of " + length
          + " bytes exceeds the limit of " + maxMessageBytes + " bytes");
    }
    return length;
  }

  /**
   * Checks the length word of a startup packet.
   *
   * @return {@code length}, which counts itself
   * @throws ProtocolViolation if it is below {@value #MIN_STARTUP_PACKET_BYTES} or above {@value
   *     #MAX_STARTUP_PACKET_BYTES} + 4
   */
  public static int checkedStartupLength(int length) {
    if (length < MIN_STARTUP_PACKET_BYTES || length - 4 > MAX_STARTUP_PACKET_BYTES) {
      throw new ProtocolViolation("invalid length of startup packet: " + length);
    }
    return length;
  }
}
