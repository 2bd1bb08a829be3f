package io.pgmm.protocol;

/** The int32 that follows the 'R' of every Authentication message. */
public enum AuthenticationType {
  OK(0),
  KERBEROS_V5(2),
  CLEARTEXT_PASSWORD(3),
  MD5_PASSWORD(5),
  SCM_CREDENTIAL(6),
  GSS(7),
  GSS_CONTINUE(8),
  SSPI(9),
  SASL(10),
  SASL_CONTINUE(11),
  SASL_FINAL(12);

  private final int code;

  AuthenticationType(int code) {
    this.code = code;
  }

  public int code() {
    return code;
  }

  /** The type with this code, or {@code null} if unknown. */
  public static AuthenticationType fromCode(int code) {
    for (AuthenticationType t : values()) {
      if (t.code == code) {
        return t;
      }
    }
    return null;
  }
}
