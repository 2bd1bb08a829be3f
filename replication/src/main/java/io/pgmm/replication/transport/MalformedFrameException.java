package io.pgmm.replication.transport;

/** A frame from a peer that breaks the protocol; the connection is closed. Never escapes the pipeline. */
final class MalformedFrameException extends Exception {

  MalformedFrameException(String message) {
    super(message, null, false, false);
  }
}
