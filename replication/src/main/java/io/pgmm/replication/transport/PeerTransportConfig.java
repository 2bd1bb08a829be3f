package io.pgmm.replication.transport;

/**
 * Limits and timings of a {@link PeerTransport}.
 *
 * @param maxFrameBodyBytes       largest frame body accepted from a peer; bigger closes the connection. At least
 *                                {@link #MIN_MAX_FRAME_BODY_BYTES} so a full {@link PeerMessage.ChangeChunk} fits
 * @param handshakeTimeoutMillis  a connection not authenticated by then is closed
 * @param connectTimeoutMillis    TCP connect timeout of an outbound dial
 * @param reconnectMinMillis      first reconnect delay; doubled per failure …
 * @param reconnectMaxMillis      … up to this cap; reset after a successful handshake
 * @param writeLowWaterMarkBytes  an outbound channel becomes writable again below this many queued bytes
 * @param writeHighWaterMarkBytes an outbound channel becomes unwritable above this (see {@link PeerTransport#awaitWritable})
 * @param maxInboundConnections   accepted connections (authenticated or not) at once; more are closed at accept
 * @param ioThreads               Netty event loop threads
 * @param preferEpoll             use the native epoll transport when it is available (NIO otherwise)
 */
public record PeerTransportConfig(int maxFrameBodyBytes, long handshakeTimeoutMillis, int connectTimeoutMillis,
    long reconnectMinMillis, long reconnectMaxMillis, int writeLowWaterMarkBytes, int writeHighWaterMarkBytes,
    int maxInboundConnections, int ioThreads, boolean preferEpoll) {

  public static final int MIN_MAX_FRAME_BODY_BYTES = FrameType.MAX_BODY_BYTES;
  public static final int DEFAULT_MAX_FRAME_BODY_BYTES = FrameType.MAX_BODY_BYTES;

  public PeerTransportConfig {
    if (maxFrameBodyBytes < MIN_MAX_FRAME_BODY_BYTES) {
      throw new IllegalArgumentException("maxFrameBodyBytes must be at least " + MIN_MAX_FRAME_BODY_BYTES);
    }
    if (handshakeTimeoutMillis < 1 || connectTimeoutMillis < 1 || reconnectMinMillis < 1
        || reconnectMaxMillis < reconnectMinMillis) {
      throw new IllegalArgumentException("invalid peer transport timeouts");
    }
    if (writeLowWaterMarkBytes < 1 || writeHighWaterMarkBytes < writeLowWaterMarkBytes) {
      throw new IllegalArgumentException("invalid write water marks");
    }
    if (maxInboundConnections < 1 || ioThreads < 1) {
      throw new IllegalArgumentException("maxInboundConnections and ioThreads must be positive");
    }
  }

  public static PeerTransportConfig defaults() {
    return new PeerTransportConfig(DEFAULT_MAX_FRAME_BODY_BYTES, 5_000, 2_000, 100, 2_000, 1 << 20, 4 << 20, 64, 1,
        true);
  }

  public PeerTransportConfig withIoThreads(int threads) {
    return new PeerTransportConfig(maxFrameBodyBytes, handshakeTimeoutMillis, connectTimeoutMillis,
        reconnectMinMillis, reconnectMaxMillis, writeLowWaterMarkBytes, writeHighWaterMarkBytes,
        maxInboundConnections, threads, preferEpoll);
  }

  public PeerTransportConfig withHandshakeTimeoutMillis(long millis) {
    return new PeerTransportConfig(maxFrameBodyBytes, millis, connectTimeoutMillis, reconnectMinMillis,
        reconnectMaxMillis, writeLowWaterMarkBytes, writeHighWaterMarkBytes, maxInboundConnections, ioThreads,
        preferEpoll);
  }
}
