package io.pgmm.replication.transport;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One peer connection's session: runs the {@link Handshake}, then delivers {@link PeerMessage}s to the
 * {@link PeerMessageHandler}. State: AWAIT_HELLO → AWAIT_AUTH → AUTHENTICATED, any → CLOSED; a frame that
 * does not fit the state closes the connection.
 */
final class PeerSessionHandler extends ChannelInboundHandlerAdapter {

  private static final Logger log = LoggerFactory.getLogger(PeerSessionHandler.class);

  enum State { AWAIT_HELLO, AWAIT_AUTH, AUTHENTICATED, CLOSED }

  /** What the transport learns from a session; called on the channel's event loop. */
  interface Listener {
    void authenticated(Channel channel, int peerNode);

    void writabilityChanged(Channel channel);
  }

  private final int selfNode;
  private final byte[] secret;
  /** The node dialled (outbound), or 0 for an inbound connection from any of {@link #allowedPeers}. */
  private final int expectedPeer;
  private final Set<Integer> allowedPeers;
  private final long handshakeTimeoutMillis;
  private final PeerMessageHandler handler;
  private final Listener listener;
  private final PeerFrameDecoder decoder;
  private final byte[] ownNonce = Handshake.newNonce();
  private State state = State.AWAIT_HELLO;
  private int peerNode;
  private ScheduledFuture<?> timeout;

  PeerSessionHandler(int selfNode, byte[] secret, int expectedPeer, Set<Integer> allowedPeers,
      long handshakeTimeoutMillis, PeerMessageHandler handler, Listener listener, PeerFrameDecoder decoder) {
    this.selfNode = selfNode;
    this.secret = secret;
    this.expectedPeer = expectedPeer;
    this.allowedPeers = allowedPeers;
    this.handshakeTimeoutMillis = handshakeTimeoutMillis;
    this.handler = handler;
    this.listener = listener;
    this.decoder = decoder;
  }

  State state() {
    return state;
  }

  int peerNode() {
    return peerNode;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    timeout = ctx.executor().schedule(() -> {
      if (state != State.AUTHENTICATED && state != State.CLOSED) {
        fail(ctx, "no authentication within " + handshakeTimeoutMillis + " ms");
      }
    }, handshakeTimeoutMillis, TimeUnit.MILLISECONDS);
    ctx.writeAndFlush(new Handshake.Hello(Handshake.PROTOCOL_VERSION, selfNode, ownNonce));
    ctx.fireChannelActive();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    state = State.CLOSED;
    if (timeout != null) {
      timeout.cancel(false);
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      switch (state) {
        case AWAIT_HELLO -> onHello(ctx, msg);
        case AWAIT_AUTH -> onAuth(ctx, msg);
        case AUTHENTICATED -> onMessage(ctx, msg);
        case CLOSED -> { }
      }
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  private void onHello(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof Handshake.Hello hello)) {
      fail(ctx, "expected Hello, got " + msg.getClass().getSimpleName());
      return;
    }
    if (hello.version() != Handshake.PROTOCOL_VERSION) {
      fail(ctx, "protocol version " + hello.version() + ", this node speaks " + Handshake.PROTOCOL_VERSION);
    } else if (hello.nodeId() == selfNode || !allowedPeers.contains(hello.nodeId())) {
      fail(ctx, "node id " + hello.nodeId() + " is not a peer of node " + selfNode);
    } else if (expectedPeer != 0 && hello.nodeId() != expectedPeer) {
      fail(ctx, "dialled node " + expectedPeer + " but node " + hello.nodeId() + " answered");
    } else {
      peerNode = hello.nodeId();
      state = State.AWAIT_AUTH;
      ctx.writeAndFlush(new Handshake.Auth(Handshake.answer(secret, hello.nonce(), selfNode, peerNode)));
    }
  }

  private void onAuth(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof Handshake.Auth auth)) {
      fail(ctx, "expected Auth, got " + msg.getClass().getSimpleName());
      return;
    }
    byte[] expected = Handshake.answer(secret, ownNonce, peerNode, selfNode);
    if (!Handshake.verify(expected, auth.mac())) {
      fail(ctx, "node " + peerNode + " failed authentication (wrong cluster secret?)");
      return;
    }
    state = State.AUTHENTICATED;
    timeout.cancel(false);
    decoder.markAuthenticated();
    listener.authenticated(ctx.channel(), peerNode);
  }

  private void onMessage(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof PeerMessage m)) {
      fail(ctx, "unexpected " + msg.getClass().getSimpleName() + " after authentication");
      return;
    }
    try {
      handler.onMessage(peerNode, m);
    } catch (RuntimeException e) {
      log.error("peer message handler failed, closing the connection peer={} gid={} message={}", peerNode, m.gid(),
          m.getClass().getSimpleName(), e);
      state = State.CLOSED;
      ctx.close();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    listener.writabilityChanged(ctx.channel());
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (state != State.CLOSED) {
      log.warn("peer connection error, closing peer={} remote={} error={}", peerNode, ctx.channel().remoteAddress(),
          cause.toString());
    }
    state = State.CLOSED;
    ctx.close();
  }

  private void fail(ChannelHandlerContext ctx, String reason) {
    log.warn("closing peer connection in handshake self={} remote={} reason={}", selfNode,
        ctx.channel().remoteAddress(), reason);
    state = State.CLOSED;
    ctx.close();
  }
}
