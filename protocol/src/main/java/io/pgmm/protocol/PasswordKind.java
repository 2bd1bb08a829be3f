package io.pgmm.protocol;

/**
 * Which message a frontend 'p' is: the type byte is shared, and only the session knows from the
 * authentication request it sent which one to expect.
 */
public enum PasswordKind {
  /** After AuthenticationCleartextPassword or AuthenticationMD5Password. */
  PASSWORD("PasswordMessage"),
  /** After AuthenticationSASL. */
  SASL_INITIAL("SASLInitialResponse"),
  /** After AuthenticationSASLContinue. */
  SASL_RESPONSE("SASLResponse"),
  /** After AuthenticationGSS, AuthenticationGSSContinue or AuthenticationSSPI. */
  GSS("GSSResponse");

  private final String messageName;

  PasswordKind(String messageName) {
    this.messageName = messageName;
  }

  public String messageName() {
    return messageName;
  }
}
