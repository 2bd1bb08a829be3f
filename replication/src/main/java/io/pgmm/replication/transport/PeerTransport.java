package io.pgmm.replication.transport;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TCP between sidecars (Netty; epoll when available, NIO otherwise).
 *
 * <h2>Who dials whom</h2>
 * Every node dials every peer and sends only on its own outbound connection; connections it accepts only
 * receive. So each pair of nodes has two connections, one per direction, and there is no tie-breaking
 * between simultaneous dials. A peer is {@linkplain #isConnected connected} when our outbound connection to
 * it is authenticated. A restarted peer's new inbound connection replaces its old one.
 *
 * <h2>Sending</h2>
 * {@link #send} never blocks and never queues for a disconnected peer: it returns false at once, and
 * {@link #sendOrThrow} throws {@link PeerUnavailableException} naming the peer and its link state, so the
 * commit path fails fast instead of hanging. A message handed over may still be lost if the connection
 * drops afterwards; the commit protocol resends what matters (decisions are acknowledged and resent).
 * Control messages are sent regardless of writability. Streams of {@link PeerMessage.ChangeChunk}s use
 * {@link #awaitWritable} before each chunk: the channel's outbound buffer then holds at most the high water
 * mark plus one chunk per peer, so a 1 GB transaction streams in bounded memory.
 *
 * <h2>Receiving</h2>
 * Messages reach {@link PeerMessageHandler#onMessage} on a Netty event loop, in order per connection; the
 * handler must not block.
 *
 * <h2>Reconnecting</h2>
 * Each outbound link is a small state machine ({@link LinkState}) driven on one event loop: a failed dial,
 * handshake or a dropped connection schedules the next dial after a delay that starts at
 * {@code reconnectMinMillis} and doubles to {@code reconnectMaxMillis}; a successful handshake resets it.
 */
public final class PeerTransport implements AutoCloseable {

  /**
   * Flushes of messages sent in one burst (a transaction's begin, changes and end; votes of many
   * workers) are merged into one write: each flush is a system call on a shared two-core machine.
   */
  private static final int FLUSH_AFTER_WRITES = 64;

  private static final Logger log = LoggerFactory.getLogger(PeerTransport.class);

  /**
   * The outbound link to one peer. IDLE → CONNECTING → HANDSHAKING → CONNECTED → BACKOFF → CONNECTING …;
   * CONNECTING/HANDSHAKING → BACKOFF on failure; any → CLOSED.
   */
  public enum LinkState {
    IDLE, CONNECTING, HANDSHAKING, CONNECTED, BACKOFF, CLOSED;

    boolean canMoveTo(LinkState next) {
      return next == CLOSED || switch (this) {
        case IDLE, BACKOFF -> next == CONNECTING;
        case CONNECTING -> next == HANDSHAKING || next == BACKOFF;
        case HANDSHAKING -> next == CONNECTED || next == BACKOFF;
        case CONNECTED -> next == BACKOFF;
        case CLOSED -> false;
      };
    }
  }

  private final int selfNodeId;
  private final String host;
  private final int port;
  private final byte[] secret;
  private final Map<Integer, InetSocketAddress> peers;
  private final Set<Integer> peerIds;
  private final PeerMessageHandler handler;
  private final PeerTransportConfig config;
  private final boolean epoll;
  private final EventLoopGroup group;
  private final Map<Integer, Link> links = new TreeMap<>();
  private final ChannelGroup inboundChannels = new DefaultChannelGroup("pgmm-peer-inbound", GlobalEventExecutor.INSTANCE);
  private final Map<Integer, Channel> inboundByPeer = new ConcurrentHashMap<>();
  private volatile Channel serverChannel;
  private volatile boolean closed;

  public PeerTransport(int selfNodeId, String host, int port, byte[] secret, Map<Integer, InetSocketAddress> peers,
      PeerMessageHandler handler) {
    this(selfNodeId, host, port, secret, peers, handler, PeerTransportConfig.defaults());
  }

  /**
   * Builds the transport; nothing is bound or dialled until {@link #start()}.
   *
   * @param peers every other node of the cluster and the address it listens on (must not contain self)
   */
  public PeerTransport(int selfNodeId, String host, int port, byte[] secret, Map<Integer, InetSocketAddress> peers,
      PeerMessageHandler handler, PeerTransportConfig config) {
    if (selfNodeId < 1) {
      throw new IllegalArgumentException("node id must be positive: " + selfNodeId);
    }
    if (secret == null || secret.length < Handshake.MIN_SECRET_BYTES) {
      throw new IllegalArgumentException("the cluster secret must have at least " + Handshake.MIN_SECRET_BYTES + " bytes");
    }
    if (peers.containsKey(selfNodeId) || peers.keySet().stream().anyMatch(id -> id < 1)) {
      throw new IllegalArgumentException("peers must be positive node ids other than self (" + selfNodeId + "): "
          + peers.keySet());
    }
    this.selfNodeId = selfNodeId;
    this.host = Objects.requireNonNull(host, "host");
    this.port = port;
    this.secret = secret.clone();
    this.peers = Map.copyOf(peers);
    this.peerIds = Set.copyOf(new TreeSet<>(peers.keySet()));
    this.handler = Objects.requireNonNull(handler, "handler");
    this.config = Objects.requireNonNull(config, "config");
    this.epoll = config.preferEpoll() && Epoll.isAvailable();
    this.group = new MultiThreadIoEventLoopGroup(config.ioThreads(),
        epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    for (Map.Entry<Integer, InetSocketAddress> e : new TreeMap<>(peers).entrySet()) {
      links.put(e.getKey(), new Link(e.getKey(), e.getValue(), group.next()));
    }
  }

  /** Binds the listening socket (synchronously; throws if the port is taken) and starts dialling every peer. */
  public PeerTransport start() {
    if (closed || serverChannel != null) {
      throw new IllegalStateException("peer transport of node " + selfNodeId + " already started or closed");
    }
    ServerBootstrap sb = new ServerBootstrap()
        .group(group)
        .channel(serverChannelClass())
        .option(ChannelOption.SO_REUSEADDR, true)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childOption(ChannelOption.SO_KEEPALIVE, true)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            if (closed || inboundChannels.size() >= config.maxInboundConnections()) {
              log.warn("refusing peer connection self={} remote={} inbound={} limit={}", selfNodeId,
                  ch.remoteAddress(), inboundChannels.size(), config.maxInboundConnections());
              ch.close();
              return;
            }
            inboundChannels.add(ch);
            PeerFrameDecoder decoder = new PeerFrameDecoder(config.maxFrameBodyBytes());
            ch.pipeline().addLast("flush", new FlushConsolidationHandler(FLUSH_AFTER_WRITES, true))
                .addLast("decoder", decoder)
                .addLast("encoder", PeerFrameEncoder.INSTANCE)
                .addLast("session", new PeerSessionHandler(selfNodeId, secret, 0, peerIds,
                    config.handshakeTimeoutMillis(), handler, inboundListener, decoder));
          }
        });
    serverChannel = sb.bind(host, port).syncUninterruptibly().channel();
    log.info("peer transport listening node={} address={} transport={}", selfNodeId, serverChannel.localAddress(),
        epoll ? "epoll" : "nio");
    for (Link link : links.values()) {
      link.loop.execute(link::connect);
    }
    return this;
  }

  /** The bound port (useful with port 0), or -1 before {@link #start()}. */
  public int localPort() {
    Channel ch = serverChannel;
    return ch == null ? -1 : ((InetSocketAddress) ch.localAddress()).getPort();
  }

  public int selfNodeId() {
    return selfNodeId;
  }

  /**
   * Hands {@code message} to the peer's connection without blocking. False when the peer is not connected
   * (nothing is queued). A true return does not mean the peer received it.
   *
   * @throws IllegalArgumentException if {@code peerNode} is not a configured peer
   */
  public boolean send(int peerNode, PeerMessage message) {
    Objects.requireNonNull(message, "message");
    Channel ch = link(peerNode).channel;
    if (ch == null || !ch.isActive()) {
      return false;
    }
    ch.writeAndFlush(message, ch.voidPromise());
    return true;
  }

  /** As {@link #send}, but a disconnected peer is an exception that names it, its address and link state. */
  public void sendOrThrow(int peerNode, PeerMessage message) throws PeerUnavailableException {
    if (!send(peerNode, message)) {
      Link l = link(peerNode);
      throw new PeerUnavailableException(peerNode, "peer node " + peerNode + " at " + l.address + " is not connected (link "
          + l.state + (l.lastError == null ? "" : ", last error: " + l.lastError) + ")");
    }
  }

  /**
   * Stops ({@code false}) or resumes reading what {@code peerNode} sends over its connection to this
   * node: backpressure for a receiver that cannot keep up, without blocking a network thread. TCP
   * then holds up the peer's writes. Thread-safe.
   */
  public void setReceiving(int peerNode, boolean receiving) {
    Channel ch = inboundByPeer.get(peerNode);
    if (ch != null) {
      ch.config().setAutoRead(receiving);
    }
  }

  /**
   * Closes the outbound connection to the peer, if open; it is dialled again after the reconnect delay.
   * Messages handed over but not yet delivered are lost, as on any broken connection (fault tests use it).
   */
  public void disconnect(int peerNode) {
    Channel ch = link(peerNode).channel;
    if (ch != null) {
      ch.close();
    }
  }

  /** True when our outbound connection to the peer is authenticated and open. */
  public boolean isConnected(int peerNode) {
    Channel ch = link(peerNode).channel;
    return ch != null && ch.isActive();
  }

  public LinkState linkState(int peerNode) {
    return link(peerNode).state;
  }

  /** True when the peer is connected and its outbound buffer is below the high water mark. */
  public boolean isWritable(int peerNode) {
    Channel ch = link(peerNode).channel;
    return ch != null && ch.isActive() && ch.isWritable();
  }

  /** Bytes queued for the peer and not yet written to the socket (0 when disconnected). */
  public long pendingWriteBytes(int peerNode) {
    Channel ch = link(peerNode).channel;
    if (ch == null) {
      return 0;
    }
    return ch.unsafe().outboundBuffer() == null ? 0 : ch.unsafe().outboundBuffer().totalPendingWriteBytes();
  }

  /**
   * Waits until the peer's connection is writable (its outbound buffer fell below the low water mark), for
   * at most {@code timeoutMillis}. Returns true when writable, false on timeout or when the peer is (or
   * becomes) disconnected. Must not be called on an event loop thread.
   */
  public boolean awaitWritable(int peerNode, long timeoutMillis) throws InterruptedException {
    Link l = link(peerNode);
    if (onEventLoop()) {
      throw new IllegalStateException("awaitWritable called on a Netty event loop; it would block I/O");
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    synchronized (l) {
      while (true) {
        Channel ch = l.channel;
        if (ch == null || !ch.isActive()) {
          return false;
        }
        if (ch.isWritable()) {
          return true;
        }
        long remainingNanos = deadline - System.nanoTime();
        if (remainingNanos <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(l, remainingNanos);
      }
    }
  }

  /** Peers whose outbound connection is authenticated, in node order. */
  public Set<Integer> connectedPeers() {
    Set<Integer> result = new TreeSet<>();
    for (Link l : links.values()) {
      Channel ch = l.channel;
      if (ch != null && ch.isActive()) {
        result.add(l.peerNode);
      }
    }
    return result;
  }

  /** Closes every connection and the listener, and stops the event loops. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (Link l : links.values()) {
      l.loop.execute(l::close);
    }
    Channel server = serverChannel;
    if (server != null) {
      server.close().syncUninterruptibly();
    }
    inboundChannels.close().syncUninterruptibly();
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    log.info("peer transport closed node={}", selfNodeId);
  }

  private boolean onEventLoop() {
    for (EventExecutor e : group) {
      if (e.inEventLoop()) {
        return true;
      }
    }
    return false;
  }

  private Link link(int peerNode) {
    Link l = links.get(peerNode);
    if (l == null) {
      throw new IllegalArgumentException("node " + peerNode + " is not a peer of node " + selfNodeId + " (peers "
          + peerIds + ")");
    }
    return l;
  }

  private Class<? extends ServerChannel> serverChannelClass() {
    return epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
  }

  private Class<? extends Channel> channelClass() {
    return epoll ? EpollSocketChannel.class : NioSocketChannel.class;
  }

  private final PeerSessionHandler.Listener inboundListener = new PeerSessionHandler.Listener() {
    @Override
    public void authenticated(Channel channel, int peerNode) {
      Channel previous = inboundByPeer.put(peerNode, channel);
      channel.closeFuture().addListener(f -> {
        inboundByPeer.remove(peerNode, channel);
        handler.onDisconnected(peerNode);
      });
      if (previous != null && previous != channel) {
        log.info("peer reconnected, closing its previous inbound connection self={} peer={}", selfNodeId, peerNode);
        previous.close();
      }
      log.info("peer inbound connection authenticated self={} peer={} remote={}", selfNodeId, peerNode,
          channel.remoteAddress());
      handler.onConnected(peerNode);
    }

    @Override
    public void writabilityChanged(Channel channel) {
      // inbound connections only receive
    }
  };

  /** The outbound connection to one peer; every field is written on {@link #loop} only. */
  private final class Link implements PeerSessionHandler.Listener {
    final int peerNode;
    final InetSocketAddress address;
    final EventLoop loop;
    volatile LinkState state = LinkState.IDLE;
    /** The authenticated channel, or null. */
    volatile Channel channel;
    volatile String lastError;
    long backoffMillis;
    ScheduledFuture<?> reconnect;

    Link(int peerNode, InetSocketAddress address, EventLoop loop) {
      this.peerNode = peerNode;
      this.address = address;
      this.loop = loop;
      this.backoffMillis = config.reconnectMinMillis();
    }

    private void move(LinkState next) {
      if (!state.canMoveTo(next)) {
        throw new IllegalStateException("peer link " + selfNodeId + "->" + peerNode + " cannot move from " + state
            + " to " + next);
      }
      state = next;
    }

    void connect() {
      reconnect = null;
      if (state == LinkState.CLOSED) {
        return;
      }
      move(LinkState.CONNECTING);
      PeerSessionHandler.Listener listener = this;
      Bootstrap b = new Bootstrap()
          .group(loop)
          .channel(channelClass())
          .option(ChannelOption.TCP_NODELAY, true)
          .option(ChannelOption.SO_KEEPALIVE, true)
          .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, config.connectTimeoutMillis())
          .option(ChannelOption.WRITE_BUFFER_WATER_MARK,
              new WriteBufferWaterMark(config.writeLowWaterMarkBytes(), config.writeHighWaterMarkBytes()))
          .handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
              PeerFrameDecoder decoder = new PeerFrameDecoder(config.maxFrameBodyBytes());
              ch.pipeline().addLast("flush", new FlushConsolidationHandler(FLUSH_AFTER_WRITES, true))
                .addLast("decoder", decoder)
                  .addLast("encoder", PeerFrameEncoder.INSTANCE)
                  .addLast("session", new PeerSessionHandler(selfNodeId, secret, peerNode, peerIds,
                      config.handshakeTimeoutMillis(), handler, listener, decoder));
            }
          });
      ChannelFuture f = b.connect(address);
      f.addListener((ChannelFuture cf) -> {
        if (state == LinkState.CLOSED) {
          cf.channel().close();
        } else if (!cf.isSuccess()) {
          lastError = String.valueOf(cf.cause());
          log.debug("peer dial failed self={} peer={} address={} error={}", selfNodeId, peerNode, address, lastError);
          scheduleReconnect();
        } else {
          move(LinkState.HANDSHAKING);
          cf.channel().closeFuture().addListener(closed -> onClosed(cf.channel()));
        }
      });
    }

    @Override
    public void authenticated(Channel ch, int peer) {
      if (state != LinkState.HANDSHAKING) {
        ch.close();
        return;
      }
      move(LinkState.CONNECTED);
      backoffMillis = config.reconnectMinMillis();
      lastError = null;
      synchronized (this) {
        channel = ch;
        notifyAll();
      }
      log.info("peer connected self={} peer={} address={}", selfNodeId, peerNode, address);
      handler.onConnected(peerNode);
    }

    @Override
    public void writabilityChanged(Channel ch) {
      synchronized (this) {
        notifyAll();
      }
    }

    private void onClosed(Channel ch) {
      boolean wasConnected = channel == ch;
      synchronized (this) {
        if (wasConnected) {
          channel = null;
        }
        notifyAll();
      }
      if (state == LinkState.CLOSED) {
        return;
      }
      if (wasConnected) {
        lastError = "connection closed";
        log.info("peer disconnected self={} peer={} address={}", selfNodeId, peerNode, address);
        handler.onDisconnected(peerNode);
      } else if (lastError == null) {
        lastError = "connection closed during handshake";
      }
      scheduleReconnect();
    }

    private void scheduleReconnect() {
      move(LinkState.BACKOFF);
      long delay = backoffMillis;
      backoffMillis = Math.min(backoffMillis * 2, config.reconnectMaxMillis());
      reconnect = loop.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
    }

    void close() {
      state = LinkState.CLOSED;
      if (reconnect != null) {
        reconnect.cancel(false);
      }
      Channel ch = channel;
      synchronized (this) {
        channel = null;
        notifyAll();
      }
      if (ch != null) {
        ch.close();
      }
    }
  }
}
