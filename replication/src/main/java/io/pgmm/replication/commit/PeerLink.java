package io.pgmm.replication.commit;

import io.pgmm.replication.transport.PeerMessage;
import io.pgmm.replication.transport.PeerTransport;

/**
 * What the commit protocol needs from the connections between sidecars: a seam, so the protocol
 * can be driven without a network, and the one place that says which transport calls it makes.
 */
interface PeerLink {

  /** Queues {@code message} for {@code peer}; false when there is no connection with it now. */
  boolean send(int peer, PeerMessage message);

  boolean isConnected(int peer);

  /** Waits until the connection with {@code peer} takes more bytes; false on timeout or disconnect. */
  boolean awaitWritable(int peer, long timeoutMillis) throws InterruptedException;

  /** Stops or resumes reading from {@code peer} (backpressure through TCP). */
  void setReceiving(int peer, boolean receiving);

  /** Drops the connection with {@code peer}; it is dialled again later. */
  void disconnect(int peer);

  /** No connection to anyone: before the transport is attached. */
  PeerLink NONE = new PeerLink() {
    @Override
    public boolean send(int peer, PeerMessage message) {
      return false;
    }

    @Override
    public boolean isConnected(int peer) {
      return false;
    }

    @Override
    public boolean awaitWritable(int peer, long timeoutMillis) {
      return false;
    }

    @Override
    public void setReceiving(int peer, boolean receiving) {}

    @Override
    public void disconnect(int peer) {}
  };

  static PeerLink of(PeerTransport transport) {
    return new PeerLink() {
      @Override
      public boolean send(int peer, PeerMessage message) {
        return transport.send(peer, message);
      }

      @Override
      public boolean isConnected(int peer) {
        return transport.isConnected(peer);
      }

      @Override
      public boolean awaitWritable(int peer, long timeoutMillis) throws InterruptedException {
        return transport.awaitWritable(peer, timeoutMillis);
      }

      @Override
      public void setReceiving(int peer, boolean receiving) {
        transport.setReceiving(peer, receiving);
      }

      @Override
      public void disconnect(int peer) {
        transport.disconnect(peer);
      }
    };
  }
}
