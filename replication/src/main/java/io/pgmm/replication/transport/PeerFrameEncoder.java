package io.pgmm.replication.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;

/** Writes {@link PeerMessage}s and handshake messages as frames; see {@link PeerCodec}. */
@Sharable
final class PeerFrameEncoder extends MessageToByteEncoder<Object> {

  static final PeerFrameEncoder INSTANCE = new PeerFrameEncoder();

  private PeerFrameEncoder() {
    super(Object.class);
  }

  @Override
  public boolean acceptOutboundMessage(Object msg) {
    return msg instanceof PeerMessage || msg instanceof Handshake.Hello || msg instanceof Handshake.Auth;
  }

  @Override
  protected ByteBuf allocateBuffer(ChannelHandlerContext ctx, Object msg, boolean preferDirect) {
    int size = PeerCodec.frameSizeBound(msg);
    return preferDirect ? ctx.alloc().ioBuffer(size) : ctx.alloc().heapBuffer(size);
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, Object msg, ByteBuf out) {
    PeerCodec.encodeFrame(msg, out);
  }
}
