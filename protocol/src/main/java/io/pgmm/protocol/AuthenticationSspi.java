package io.pgmm.protocol;

/** AuthenticationSSPI (9): start an SSPI exchange. */
public record AuthenticationSspi() implements Authentication {

  public static final AuthenticationSspi INSTANCE = new AuthenticationSspi();

  @Override
  public AuthenticationType authenticationType() {
    return AuthenticationType.SSPI;
  }
}
