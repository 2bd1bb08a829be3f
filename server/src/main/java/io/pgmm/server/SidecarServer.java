package io.pgmm.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.pgmm.config.NodeConfig;
import io.pgmm.replication.commit.DistributedCommit;
import io.pgmm.server.session.ClientSession;
import io.pgmm.server.session.SessionContext;
import io.pgmm.server.session.SessionRegistry;
import io.pgmm.server.session.SqlStates;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sidecar's client listener: accepts PostgreSQL clients and gives each a {@link
 * ClientSession} in front of the local PostgreSQL.
 *
 * <p>Two event-loop threads on this two-core target (one was measurably slower); a session's
 * backend connection lives on its client's loop, so relaying never hops threads.
 */
public final class SidecarServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(SidecarServer.class);
  /** Bounds what one direction of one session may buffer before reading from the other side stops. */
  private static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(64 * 1024, 256 * 1024);

  private final NodeConfig config;
  private final SocketAddress backendAddress;
  private final SessionRegistry registry;
  private final ChannelGroup clientChannels = new DefaultChannelGroup("pgmm-clients", GlobalEventExecutor.INSTANCE);
  private EventLoopGroup group;
  private Channel listener;

  private final DistributedCommit commit;

  public SidecarServer(NodeConfig config, SocketAddress backendAddress) {
    this(config, backendAddress, null);
  }

  /** @param commit the distributed commit, or null for a node without peers (a plain relay) */
  public SidecarServer(NodeConfig config, SocketAddress backendAddress, DistributedCommit commit) {
    this.config = config;
    this.backendAddress = backendAddress;
    this.commit = commit;
    this.registry = new SessionRegistry(config.limits().maxConnections());
  }

  /** Binds the client port; returns once clients can connect. */
  public void start() throws InterruptedException, SSLException {
    boolean epoll = Epoll.isAvailable();
    IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    Class<? extends ServerChannel> serverChannel = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    Class<? extends Channel> clientChannel = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
    group = new MultiThreadIoEventLoopGroup(Math.max(2, Runtime.getRuntime().availableProcessors()), io);
    Class<? extends Channel> backendChannel = backendAddress instanceof DomainSocketAddress ? EpollDomainSocketChannel.class : clientChannel;
    SessionContext context = new SessionContext(backendAddress, backendChannel, sslContext(), config.clients(),
        config.limits().maxMessageBytes(), registry, commit, config.replication().readConsistency(),
        config.replication().database());
    listener = new ServerBootstrap()
        .group(group)
        .channel(serverChannel)
        .option(ChannelOption.SO_BACKLOG, 1024)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            clientChannels.add(ch);
            ch.pipeline().addLast(new ClientSession(context));
          }
        })
        .bind(config.listen().host(), config.listen().port())
        .sync()
        .channel();
    log.info("pgmm node {} accepting PostgreSQL clients on {} (local PostgreSQL at {}, TLS {})",
        config.nodeId(), listener.localAddress(), backendAddress, context.sslContext() == null ? "off" : "on");
  }

  private SslContext sslContext() throws SSLException {
    if (config.tls() == null) {
      return null;
    }
    return SslContextBuilder.forServer(config.tls().certFile().toFile(), config.tls().keyFile().toFile()).build();
  }

  public int port() {
    return ((InetSocketAddress) listener.localAddress()).getPort();
  }

  public SessionRegistry registry() {
    return registry;
  }

  /**
   * Stops accepting, lets open sessions finish for up to {@code grace}, then ends the rest with
   * PostgreSQL's own shutdown error (57P01), whose backends then roll back.
   */
  public void shutdown(Duration grace) throws InterruptedException {
    if (listener == null) {
      return;
    }
    listener.close().sync();
    long deadline = System.nanoTime() + grace.toNanos();
    if (registry.size() > 0) {
      log.info("draining {} client sessions for up to {} ms", registry.size(), grace.toMillis());
    }
    while (registry.size() > 0 && System.nanoTime() < deadline) {
      TimeUnit.MILLISECONDS.sleep(50);
    }
    for (ClientSession session : registry.sessions()) {
      session.terminate(SqlStates.ADMIN_SHUTDOWN, "terminating connection due to administrator command");
    }
    clientChannels.newCloseFuture().await(5, TimeUnit.SECONDS);
    clientChannels.close().await(5, TimeUnit.SECONDS);
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).sync();
    listener = null;
  }

  @Override
  public void close() throws InterruptedException {
    shutdown(Duration.ZERO);
  }
}
