package io.pgmm.replication.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cuts the byte stream into frames and decodes them. The header's type and length are checked before the
 * body is buffered: an unknown type, a length outside the type's limits or above {@code maxFrameBodyBytes},
 * or a non-handshake frame before authentication (so an unauthenticated peer can make us buffer at most a
 * Hello) closes the connection. Nothing is thrown out of the pipeline.
 */
final class PeerFrameDecoder extends ByteToMessageDecoder {

  private static final Logger log = LoggerFactory.getLogger(PeerFrameDecoder.class);

  /** UNAUTHENTICATED → AUTHENTICATED; either → FAILED (input discarded, channel closing). */
  enum State { UNAUTHENTICATED, AUTHENTICATED, FAILED }

  private final int maxFrameBodyBytes;
  private State state = State.UNAUTHENTICATED;

  PeerFrameDecoder(int maxFrameBodyBytes) {
    this.maxFrameBodyBytes = maxFrameBodyBytes;
  }

  /** Called by the session handler on the event loop once the peer proved the secret. */
  void markAuthenticated() {
    if (state != State.UNAUTHENTICATED) {
      throw new IllegalStateException("decoder is " + state + ", cannot authenticate");
    }
    state = State.AUTHENTICATED;
  }

  State state() {
    return state;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    switch (state) {
      case FAILED -> in.skipBytes(in.readableBytes());
      case UNAUTHENTICATED, AUTHENTICATED -> decodeFrame(ctx, in, out);
    }
  }

  private void decodeFrame(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (in.readableBytes() < FrameType.HEADER_BYTES) {
      return;
    }
    int start = in.readerIndex();
    byte code = in.getByte(start);
    int bodyBytes = in.getInt(start + 1);
    FrameType type = FrameType.of(code);
    if (type == null) {
      fail(ctx, in, "unknown frame type 0x" + Integer.toHexString(code & 0xFF));
      return;
    }
    if (type.handshake != (state == State.UNAUTHENTICATED)) {
      fail(ctx, in, type + (type.handshake ? " after authentication" : " before authentication"));
      return;
    }
    if (bodyBytes < type.minBodyBytes || bodyBytes > type.maxBodyBytes || bodyBytes > maxFrameBodyBytes) {
      fail(ctx, in, type + " body of " + bodyBytes + " bytes is outside " + type.minBodyBytes + ".."
          + Math.min(type.maxBodyBytes, maxFrameBodyBytes));
      return;
    }
    if (in.readableBytes() < FrameType.HEADER_BYTES + bodyBytes) {
      return; // the cumulation grows to at most one checked frame
    }
    in.skipBytes(FrameType.HEADER_BYTES);
    ByteBuf body = in.readSlice(bodyBytes);
    try {
      out.add(PeerCodec.decodeBody(type, body));
    } catch (MalformedFrameException e) {
      fail(ctx, in, e.getMessage());
    }
  }

  private void fail(ChannelHandlerContext ctx, ByteBuf in, String reason) {
    state = State.FAILED;
    in.skipBytes(in.readableBytes());
    log.warn("closing peer connection on a malformed frame remote={} reason={}", ctx.channel().remoteAddress(), reason);
    ctx.close();
  }
}
