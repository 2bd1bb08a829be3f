package io.pgmm.protocol;

/**
 * A peer broke the wire protocol: a frame or message could not be decoded.
 *
 * <p>The message names what was wrong and never echoes payload bytes, so it is safe to send to
 * a client: the server answers with {@link #toErrorResponse()} (FATAL, SQLSTATE {@value
 * #SQLSTATE}) and closes the connection. Decoders and the framer throw nothing else on bad input.
 *
 * <p>No stack trace is captured: this is thrown on the say-so of a remote peer, so it must be
 * cheap, and the message already says where it came from.
 */
public final class ProtocolViolation extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** {@code protocol_violation}. */
  public static final String SQLSTATE = "08P01";

  public ProtocolViolation(String message) {
    super(message, null, false, false);
  }

  /** The ErrorResponse PostgreSQL sends for a protocol violation before it closes the connection. */
  public ErrorResponse toErrorResponse() {
    return ErrorResponse.of("FATAL", SQLSTATE, getMessage());
  }
}
