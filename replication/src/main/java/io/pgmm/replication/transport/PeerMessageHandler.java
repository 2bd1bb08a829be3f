package io.pgmm.replication.transport;

/**
 * Receives the messages of authenticated peers. Called on a Netty event loop thread, in the order a peer
 * sent them on one connection: it must not block (no JDBC, no fsync wait, no lock held for long); hand work
 * to an executor and answer later with {@link PeerTransport#send}. An exception thrown here is logged and
 * closes that connection (the peer reconnects; the commit protocol resends what matters).
 */
@FunctionalInterface
public interface PeerMessageHandler {

  void onMessage(int fromNode, PeerMessage message);

  /**
   * A connection with {@code node} is authenticated, in either direction: after a drop, what was sent on the
   * connection before may never have arrived. Called on a Netty event loop; must not block.
   */
  default void onConnected(int node) {
  }

  /** A connection with {@code node} closed, in either direction. Called on a Netty event loop; must not block. */
  default void onDisconnected(int node) {
  }
}
