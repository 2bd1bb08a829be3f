package io.pgmm.protocol;

/** AuthenticationKerberosV5 (2): no longer supported by PostgreSQL; kept so it decodes. */
public record AuthenticationKerberosV5() implements Authentication {

  public static final AuthenticationKerberosV5 INSTANCE = new AuthenticationKerberosV5();

  @Override
  public AuthenticationType authenticationType() {
    return AuthenticationType.KERBEROS_V5;
  }
}
