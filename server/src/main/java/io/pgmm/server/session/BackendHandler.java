package io.pgmm.server.session;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/** The backend connection's end of a {@link ClientSession}: hands every event to the session. */
final class BackendHandler extends ChannelInboundHandlerAdapter {

  private final ClientSession session;

  BackendHandler(ClientSession session) {
    this.session = session;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    session.backendRead((ByteBuf) msg);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    session.backendReadComplete();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    session.backendWritabilityChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    session.backendInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    session.backendFailed(cause);
  }
}
