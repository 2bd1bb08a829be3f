package io.pgmm.protocol;

/** AuthenticationSCMCredential (6): no longer supported by PostgreSQL; kept so it decodes. */
public record AuthenticationScmCredential() implements Authentication {

  public static final AuthenticationScmCredential INSTANCE = new AuthenticationScmCredential();

  @Override
  public AuthenticationType authenticationType() {
    return AuthenticationType.SCM_CREDENTIAL;
  }
}
