package io.pgmm.protocol;

/** AuthenticationCleartextPassword (3): send the password in clear. */
public record AuthenticationCleartextPassword() implements Authentication {

  public static final AuthenticationCleartextPassword INSTANCE = new AuthenticationCleartextPassword();

  @Override
  public AuthenticationType authenticationType() {
    return AuthenticationType.CLEARTEXT_PASSWORD;
  }
}
