package io.pgmm.server.session;

/** The SQLSTATEs the sidecar itself raises. */
public final class SqlStates {
  public static final String CONNECTION_FAILURE = "08006";
  public static final String ADMIN_SHUTDOWN = "57P01";
  public static final String INVALID_AUTHORIZATION = "28000";
  public static final String TOO_MANY_CONNECTIONS = "53300";

  private SqlStates() {}
}
