package io.pgmm.replication.clock;

/** A peer's timestamp is too far ahead of this node's wall clock to be accepted. */
public final class ClockDriftException extends RuntimeException {

  public ClockDriftException(String message) {
    super(message);
  }
}
