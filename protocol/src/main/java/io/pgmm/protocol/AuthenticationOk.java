package io.pgmm.protocol;

/** AuthenticationOk (0): authentication succeeded. */
public record AuthenticationOk() implements Authentication {

  public static final AuthenticationOk INSTANCE = new AuthenticationOk();

  @Override
  public AuthenticationType authenticationType() {
    return AuthenticationType.OK;
  }
}
