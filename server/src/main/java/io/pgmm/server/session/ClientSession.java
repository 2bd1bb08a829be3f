package io.pgmm.server.session;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.pgmm.protocol.BackendDecoder;
import io.pgmm.protocol.BackendEncoder;
import io.pgmm.protocol.BackendMessage;
import io.pgmm.protocol.Frame;
import io.pgmm.protocol.FrontendDecoder;
import io.pgmm.protocol.FrontendMessage;
import io.pgmm.protocol.MessageFramer;
import io.pgmm.protocol.ProtocolViolation;
import io.pgmm.protocol.AuthenticationSasl;
import io.pgmm.protocol.BackendKeyData;
import io.pgmm.protocol.ErrorResponse;
import io.pgmm.protocol.CancelRequest;
import io.pgmm.protocol.GssEncRequest;
import io.pgmm.protocol.SslRequest;
import io.pgmm.protocol.StartupMessage;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection and the one backend connection to the local PostgreSQL it owns.
 *
 * <pre>
 *  client                      sidecar                           PostgreSQL
 *    │ SSLRequest ─────────────► 'S' + TLS handshake (or 'N')
 *    │ StartupMessage ─────────► allowlist, connection limit
 *    │                           connect ─────────────────────────► StartupMessage
 *    │ ◄──────────── Authentication* (SASL list without -PLUS) ◄──── │
 *    │ password / SASL ──────────────────── relayed ───────────────► │  PostgreSQL checks its own roles
 *    │ ◄──────────── BackendKeyData (its pid, our secret) ◄───── │
 *    │ ◄──────────── ReadyForQuery ◄─────────────────────────────────│
 *    │ ══════════════ relayed both ways; Query/Parse/Bind/Close and ReadyForQuery are read ═══
 * </pre>
 *
 * <p>All of a session runs on its client channel's event loop (the backend channel shares it), so
 * no field needs locking. Backpressure: each side reads only while the other side is writable, so a
 * slow client stops the backend socket instead of filling the sidecar's heap.
 */
public final class ClientSession extends ChannelInboundHandlerAdapter {

  private static final Logger log = LoggerFactory.getLogger(ClientSession.class);

  private final SessionContext context;
  private final MessageFramer framer;
  private final TransactionTracker tracker = new TransactionTracker();
  private RelayScanner clientScanner;
  private RelayScanner backendScanner;
  /** Relays the client's side of authentication, before the interceptor's units apply. */
  private final RelayScanner authScanner;
  /** Null on a node without peers or for a database that is not replicated: the session is then a plain relay. */
  private TransactionInterceptor interceptor;
  private BackendRouter router;
  private boolean clientHeld;

  private SessionState state = SessionState.AWAITING_STARTUP;
  private Channel client;
  private Channel backend;
  private ByteBuf startupBytes;
  private ByteBuf backendStartupBytes;
  private CancelKey cancelKey;
  private CancelKey backendKey;
  private boolean fatalRelayed;
  private boolean clientTerminated;

  public ClientSession(SessionContext context) {
    this.context = context;
    this.framer = new MessageFramer(context.maxMessageBytes());
    this.authScanner = new RelayScanner(context.maxMessageBytes(), new FrontendInspector());
    this.clientScanner = authScanner;
    this.backendScanner = new RelayScanner(context.maxMessageBytes(), new BackendInspector());
  }

  /** Writes to the replicated database end in distributed commits; everything else is relayed as is. */
  private void chooseRelay(String database) {
    if (context.commit() != null && database.equals(context.replicatedDatabase())) {
      router = new BackendRouter(tracker, this::noteError, this::writeToClient);
      interceptor = new TransactionInterceptor(new SessionWires(), tracker, router, context.commit(), context.readConsistency());
      clientScanner = new RelayScanner(context.maxMessageBytes(), new TerminateWatch(interceptor), true);
      backendScanner = new RelayScanner(context.maxMessageBytes(), router, true);
    } else {
      clientScanner = new RelayScanner(context.maxMessageBytes(), new FrontendInspector());
    }
  }

  CancelKey cancelKey() {
    return cancelKey;
  }

  /**
   * Prepares this session for conflict resolution's cancel of its backend's statement (see {@link
   * BackendRouter#armWound}); false for a session that does not run distributed transactions.
   */
  java.util.concurrent.CompletableFuture<Boolean> armWound(String message) {
    java.util.concurrent.CompletableFuture<Boolean> armed = new java.util.concurrent.CompletableFuture<>();
    Channel c = client;
    if (c == null) {
      armed.complete(false);
      return armed;
    }
    c.eventLoop().execute(() -> {
      BackendRouter r = router;
      if (r != null && c.isActive()) {
        ErrorResponse wound = ErrorResponse.of("ERROR", "40001", message);
        r.armWound(wound);
        if (interceptor != null) {
          interceptor.woundIfIdleInTransaction(wound);
        }
      }
      armed.complete(r != null && c.isActive());
    });
    return armed;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    client = ctx.channel();
    ctx.fireChannelActive();
  }

  // ---- client side ------------------------------------------------------------------------

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ByteBuf in = (ByteBuf) msg;
    switch (state) {
      case TLS_HANDSHAKE -> {
        // SslHandler passes application data on only after a successful handshake.
        state = state.moveTo(SessionState.AWAITING_STARTUP);
        readStartup(in);
      }
      case AWAITING_STARTUP -> readStartup(in);
      // Auto-read is off while connecting; a read already under way is kept for the backend.
      case CONNECTING_BACKEND -> startupBytes = startupBytes == null ? in : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(client.alloc(), startupBytes, in);
      case AUTHENTICATING -> authScanner.scan(ctx.alloc(), in, this::writeToBackend);
      case ACTIVE -> {
        clientScanner.scan(ctx.alloc(), in, this::writeToBackend);
      }
      case CLOSED -> in.release();
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (backend != null) {
      backend.flush();
    }
  }

  private void readStartup(ByteBuf in) {
    startupBytes = startupBytes == null ? in : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(client.alloc(), startupBytes, in);
    Frame frame = framer.nextStartupFrame(startupBytes);
    if (frame == null) {
      return;
    }
    try {
      FrontendMessage message = FrontendDecoder.decodeStartup(frame.payload());
      if (message instanceof SslRequest || message instanceof GssEncRequest) {
        if (startupBytes.isReadable()) {
          // Bytes sent before the handshake could be injected by a man in the middle (CVE-2021-23214).
          throw new ProtocolViolation("received unencrypted data after SSL request");
        }
        answerEncryptionRequest(message instanceof SslRequest);
      } else if (message instanceof CancelRequest cancel) {
        forwardCancel(cancel);
      } else if (message instanceof StartupMessage startup) {
        startSession(startup, frame.payload());
      } else {
        throw new ProtocolViolation("unexpected message during startup");
      }
    } finally {
      frame.payload().release();
      if (startupBytes != null && state != SessionState.CONNECTING_BACKEND && !startupBytes.isReadable()) {
        startupBytes.release();
        startupBytes = null;
      }
    }
  }

  private void answerEncryptionRequest(boolean ssl) {
    if (ssl && context.sslContext() != null && client.pipeline().get(SslHandler.class) == null) {
      state = state.moveTo(SessionState.TLS_HANDSHAKE);
      // startTls: the 'S' itself goes out in the clear, everything after it through TLS.
      client.pipeline().addFirst(new SslHandler(context.sslContext().newEngine(client.alloc()), true));
      client.writeAndFlush(client.alloc().buffer(1).writeByte('S'));
    } else {
      client.writeAndFlush(client.alloc().buffer(1).writeByte('N'));
    }
  }

  private void forwardCancel(CancelRequest request) {
    ClientSession target = context.registry().forCancel(request.processId(), request.secretKey());
    if (target != null) {
      target.client.eventLoop().execute(target::cancelBackendQuery);
    }
    // PostgreSQL answers a CancelRequest by closing the connection, whether or not it matched.
    closeAll();
  }

  private void cancelBackendQuery() {
    CancelKey key = backendKey;
    if (key == null || state == SessionState.CLOSED) {
      return;
    }
    new Bootstrap()
        .group(client.eventLoop())
        .channel(context.backendChannelClass())
        .handler(new ChannelInboundHandlerAdapter())
        .connect(context.backendAddress())
        .addListener((ChannelFutureListener) f -> {
          if (!f.isSuccess()) {
            log.warn("could not forward cancel request to PostgreSQL: {}", f.cause().toString());
            return;
          }
          ByteBuf request = f.channel().alloc().buffer(16)
              .writeInt(16).writeInt(CancelRequest.CODE)
              .writeInt(key.processId()).writeInt(key.secretKey());
          f.channel().writeAndFlush(request).addListener(ChannelFutureListener.CLOSE);
        });
  }

  private void startSession(StartupMessage startup, ByteBuf startupPayload) {
    String user = startup.parameters().getOrDefault("user", "");
    String database = startup.parameters().getOrDefault("database", user);
    InetSocketAddress remote = (InetSocketAddress) client.remoteAddress();
    if (!context.clients().allows(remote.getAddress())) {
      sendFatalAndClose(SqlStates.INVALID_AUTHORIZATION, String.format(
          "no clients.allow entry for host \"%s\", user \"%s\", database \"%s\"",
          remote.getAddress().getHostAddress(), user, database));
      return;
    }
    chooseRelay(database);
    if (!context.registry().admit(this)) {
      sendFatalAndClose(SqlStates.TOO_MANY_CONNECTIONS, "sorry, too many clients already");
      return;
    }
    state = state.moveTo(SessionState.CONNECTING_BACKEND);
    client.config().setAutoRead(false);
    ByteBuf forward = client.alloc().buffer(4 + startupPayload.readableBytes());
    forward.writeInt(4 + startupPayload.readableBytes()).writeBytes(startupPayload, startupPayload.readerIndex(), startupPayload.readableBytes());
    new Bootstrap()
        .group(client.eventLoop())
        .channel(context.backendChannelClass())
        .option(ChannelOption.AUTO_READ, true)
        // TCP_NODELAY is already Netty's default for TCP; a Unix-domain backend has no such option.
        .option(ChannelOption.WRITE_BUFFER_WATER_MARK, client.config().getWriteBufferWaterMark())
        .handler(new BackendHandler(this))
        .connect(context.backendAddress())
        .addListener((ChannelFutureListener) f -> {
          if (!f.isSuccess()) {
            forward.release();
            if (state != SessionState.CLOSED) {
              sendFatalAndClose(SqlStates.CONNECTION_FAILURE,
                  "pgmm could not connect to the local PostgreSQL at " + context.backendAddress() + ": " + f.cause().getMessage());
            }
            return;
          }
          if (state == SessionState.CLOSED) {
            forward.release();
            f.channel().close();
            return;
          }
          backend = f.channel();
          state = state.moveTo(SessionState.AUTHENTICATING);
          backend.write(forward, backend.voidPromise());
          if (startupBytes != null) {
            // Whatever the client sent right after its startup packet follows it.
            ByteBuf early = startupBytes;
            startupBytes = null;
            authScanner.scan(client.alloc(), early, this::writeToBackend);
          }
          backend.flush();
          client.config().setAutoRead(backend.isWritable() && !clientHeld);
        });
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof SslHandshakeCompletionEvent done && !done.isSuccess()) {
      log.debug("TLS handshake with {} failed: {}", client.remoteAddress(), done.cause().toString());
      closeAll();
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (backend != null) {
      backend.config().setAutoRead(client.isWritable());
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    closeAll();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    handleFailure(cause);
  }

  private void handleFailure(Throwable cause) {
    Throwable root = cause;
    while (root.getCause() != null && !(root instanceof ProtocolViolation)) {
      root = root.getCause();
    }
    if (root instanceof ProtocolViolation violation) {
      sendFatalAndClose(violation.sqlState(), violation.getMessage());
    } else if (root instanceof IOException || root instanceof javax.net.ssl.SSLException) {
      closeAll();
    } else {
      log.error("session {} failed", cancelKey == null ? "-" : cancelKey.processId(), cause);
      sendFatalAndClose("XX000", "internal error in the pgmm sidecar: " + root);
    }
  }

  // ---- backend side -----------------------------------------------------------------------

  void backendRead(ByteBuf in) {
    try {
      switch (state) {
        case AUTHENTICATING -> readAuthentication(in);
        case ACTIVE -> {
          backendScanner.scan(backend.alloc(), in, this::writeToClient);
          if (router != null) {
            router.runDeferred();
          }
        }
        default -> in.release();
      }
    } catch (RuntimeException e) {
      handleFailure(e);
    }
  }

  void backendReadComplete() {
    if (client != null) {
      client.flush();
    }
    if (router != null && backend != null) {
      backend.flush(); // continuations of the sidecar's own queries write to the backend
    }
  }

  void backendWritabilityChanged() {
    if (state != SessionState.CLOSED) {
      client.config().setAutoRead(backend.isWritable() && !clientHeld);
    }
  }

  void backendInactive() {
    if (state == SessionState.CLOSED) {
      return;
    }
    if (!fatalRelayed && !clientTerminated) {
      sendFatalAndClose(SqlStates.CONNECTION_FAILURE,
          "the local PostgreSQL closed this session's connection unexpectedly");
    } else {
      client.flush();
      closeAll();
    }
  }

  void backendFailed(Throwable cause) {
    if (state != SessionState.CLOSED) {
      log.debug("backend connection failed: {}", cause.toString());
      backendInactive();
    }
  }

  /**
   * Until the backend's first ReadyForQuery every message is framed whole: they are few and small,
   * and two must be rewritten (the SASL mechanism list, BackendKeyData).
   */
  private void readAuthentication(ByteBuf in) {
    backendStartupBytes = backendStartupBytes == null ? in : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(backend.alloc(), backendStartupBytes, in);
    Frame frame;
    while (state == SessionState.AUTHENTICATING && (frame = framer.nextFrame(backendStartupBytes)) != null) {
      try {
        relayStartupMessage(frame);
      } finally {
        frame.payload().release();
      }
    }
    if (state == SessionState.ACTIVE && backendStartupBytes.isReadable()) {
      ByteBuf rest = backendStartupBytes;
      backendStartupBytes = null;
      backendScanner.scan(backend.alloc(), rest, this::writeToClient);
      if (router != null) {
        router.runDeferred();
      }
    } else if (!backendStartupBytes.isReadable()) {
      backendStartupBytes.release();
      backendStartupBytes = null;
    }
  }

  private void relayStartupMessage(Frame frame) {
    byte type = frame.type();
    switch (type) {
      case 'R' -> {
        BackendMessage auth = BackendDecoder.decode(type, frame.payload().duplicate());
        if (auth instanceof AuthenticationSasl sasl) {
          // The backend connection is not TLS, so PostgreSQL never offers -PLUS today; filtering
          // keeps that true if it ever is: channel binding to a TLS session we terminate would fail.
          List<String> usable = sasl.mechanisms().stream().filter(m -> !m.endsWith("-PLUS")).toList();
          writeToClient(new AuthenticationSasl(usable));
          return;
        }
      }
      case 'K' -> {
        BackendKeyData key = (BackendKeyData) BackendDecoder.decode(type, frame.payload().duplicate());
        backendKey = new CancelKey(key.processId(), key.secretKey());
        cancelKey = context.registry().assignKey(this, key.processId());
        writeToClient(new BackendKeyData(cancelKey.processId(), cancelKey.secretKey()));
        return;
      }
      case 'E' -> noteError(frame.payload());
      case 'Z' -> {
        tracker.onReadyForQuery(frame.payload().getByte(frame.payload().readerIndex()));
        state = state.moveTo(SessionState.ACTIVE);
      }
      default -> { }
    }
    ByteBuf raw = client.alloc().buffer(5 + frame.payload().readableBytes());
    raw.writeByte(type).writeInt(4 + frame.payload().readableBytes()).writeBytes(frame.payload(), frame.payload().readerIndex(), frame.payload().readableBytes());
    client.write(raw, client.voidPromise());
  }

  private void noteError(ByteBuf payload) {
    noteError((ErrorResponse) BackendDecoder.decode((byte) 'E', payload.duplicate()));
  }

  private void noteError(ErrorResponse error) {
    String severity = error.severity();
    if ("FATAL".equals(severity) || "PANIC".equals(severity)) {
      fatalRelayed = true;
    }
  }

  private void writeToClient(BackendMessage message) {
    ByteBuf out = client.alloc().buffer();
    BackendEncoder.encode(message, out);
    client.write(out, client.voidPromise());
  }

  private void writeToClient(ByteBuf bytes) {
    if (state == SessionState.CLOSED) {
      bytes.release();
      return;
    }
    client.write(bytes, client.voidPromise());
  }

  private void writeToBackend(ByteBuf bytes) {
    if (state == SessionState.CLOSED) {
      bytes.release();
      return;
    }
    backend.write(bytes, backend.voidPromise());
  }

  // ---- ending -----------------------------------------------------------------------------

  /** Ends the session from outside (shutdown): the client gets {@code sqlState} as a FATAL error. */
  public void terminate(String sqlState, String message) {
    client.eventLoop().execute(() -> {
      if (state != SessionState.CLOSED) {
        sendFatalAndClose(sqlState, message);
      }
    });
  }

  private void sendFatalAndClose(String sqlState, String message) {
    ByteBuf out = null;
    if (client != null && client.isActive() && state != SessionState.CLOSED) {
      out = client.alloc().buffer();
      BackendEncoder.encode(ErrorResponse.of("FATAL", sqlState, message), out);
    }
    closeWith(out);
  }

  private void closeAll() {
    closeWith(null);
  }

  /**
   * Closes both connections, after {@code lastWords} if any reached the client. Closing the
   * backend makes PostgreSQL roll back whatever transaction the client left open.
   */
  private void closeWith(ByteBuf lastWords) {
    if (state == SessionState.CLOSED) {
      if (lastWords != null) {
        lastWords.release();
      }
      return;
    }
    state = state.moveTo(SessionState.CLOSED);
    context.registry().remove(this, cancelKey);
    clientScanner.release();
    backendScanner.release();
    authScanner.release();
    if (interceptor != null) {
      interceptor.release();
      router.release();
    }
    if (startupBytes != null) {
      startupBytes.release();
      startupBytes = null;
    }
    if (backendStartupBytes != null) {
      backendStartupBytes.release();
      backendStartupBytes = null;
    }
    if (backend != null) {
      backend.close();
    }
    if (client != null) {
      if (lastWords != null) {
        client.write(lastWords);
      }
      // What was already written (relayed results, the error) goes out before the close.
      client.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }
  }

  public SessionState state() {
    return state;
  }

  /** The body of a whole message slice. */
  static ByteBuf payload(ByteBuf message) {
    return message.slice(message.readerIndex() + MessageFramer.HEADER_BYTES, message.readableBytes() - MessageFramer.HEADER_BYTES);
  }

  /** The interceptor's connections: this session's client and backend channels. */
  private final class SessionWires implements TransactionInterceptor.Wires {
    @Override
    public io.netty.buffer.ByteBufAllocator alloc() {
      return client.alloc();
    }

    @Override
    public void toBackend(ByteBuf bytes) {
      writeToBackend(bytes);
    }

    @Override
    public void toClient(ByteBuf bytes) {
      writeToClient(bytes);
    }

    @Override
    public void flush() {
      if (state != SessionState.CLOSED) {
        backend.flush();
        client.flush();
      }
    }

    @Override
    public void holdClient(boolean hold) {
      clientHeld = hold;
      if (state != SessionState.CLOSED) {
        client.config().setAutoRead(backend.isWritable() && !hold);
      }
    }

    @Override
    public void runOnEventLoop(Runnable task) {
      client.eventLoop().execute(() -> {
        if (state != SessionState.CLOSED) {
          task.run();
        }
      });
    }
  }

  /** Notes a client's Terminate on its way to the interceptor, so the backend's close is expected. */
  private final class TerminateWatch implements RelayScanner.Inspector {
    private final RelayScanner.Inspector next;

    TerminateWatch(RelayScanner.Inspector next) {
      this.next = next;
    }

    @Override
    public boolean wantsWhole(byte type) {
      return next.wantsWhole(type);
    }

    @Override
    public boolean inspect(byte type, ByteBuf message) {
      if (type == 'X') {
        clientTerminated = true;
      }
      return next.inspect(type, message);
    }
  }

  private final class FrontendInspector implements RelayScanner.Inspector {
    @Override
    public boolean wantsWhole(byte type) {
      return type == 'Q' || type == 'P' || type == 'B' || type == 'C' || type == 'X';
    }

    @Override
    public boolean inspect(byte type, ByteBuf message) {
      if (type == 'X') {
        clientTerminated = true;
      } else {
        tracker.onFrontend(type, payload(message));
      }
      return true;
    }
  }

  private final class BackendInspector implements RelayScanner.Inspector {
    @Override
    public boolean wantsWhole(byte type) {
      return type == 'Z' || type == 'E';
    }

    @Override
    public boolean inspect(byte type, ByteBuf message) {
      if (type == 'Z') {
        tracker.onReadyForQuery(message.getByte(message.readerIndex() + MessageFramer.HEADER_BYTES));
      } else {
        noteError(payload(message));
      }
      return true;
    }
  }
}
