package io.pgmm.replication.transport;

/** A message could not be handed to a peer because it is not connected; the message names the peer. */
public final class PeerUnavailableException extends Exception {

  private final int peerNode;

  public PeerUnavailableException(int peerNode, String message) {
    super(message);
    this.peerNode = peerNode;
  }

  public int peerNode() {
    return peerNode;
  }
}
