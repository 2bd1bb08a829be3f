package io.pgmm.protocol;

/** AuthenticationGSS (7): start a GSSAPI exchange. */
public record AuthenticationGss() implements Authentication {

  public static final AuthenticationGss INSTANCE = new AuthenticationGss();

  @Override
  public AuthenticationType authenticationType() {
    return AuthenticationType.GSS;
  }
}
