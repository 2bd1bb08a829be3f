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

  /** {@code feature_not_supported}: PostgreSQL's answer to a protocol version it does not speak. */
  public static final String UNSUPPORTED_VERSION_SQLSTATE = "0A000";

  private final String sqlState;

  public ProtocolViolation(String message) {
    this(SQLSTATE, message);
  }

  private ProtocolViolation(String sqlState, String message) {
    super(message, null, false, false);
    this.sqlState = sqlState;
  }

  /** A startup packet asking for a protocol major version other than 3. */
  static ProtocolViolation unsupportedVersion(int major, int minor) {
    return new ProtocolViolation(UNSUPPORTED_VERSION_SQLSTATE,
        "unsupported frontend protocol " + major + "." + minor + ": server supports 3.0 to 3.0");
  }

  /** {@value #SQLSTATE}, or {@value #UNSUPPORTED_VERSION_SQLSTATE} for an unsupported protocol version, as PostgreSQL. */
  public String sqlState() {
    return sqlState;
  }

  /** The ErrorResponse PostgreSQL sends for this violation before it closes the connection. */
  public ErrorResponse toErrorResponse() {
    return ErrorResponse.of("FATAL", sqlState, getMessage());
  }
}
