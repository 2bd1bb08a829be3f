package io.pgmm.protocol;

/**
 * The type byte of every message a client sends after the startup packet. The startup-phase
 * packets ({@link StartupPacket}) carry no type byte. {@link #PASSWORD} ('p') covers four
 * messages; which one is meant depends on the authentication exchange, see {@link PasswordKind}.
 */
public enum FrontendType {
  BIND('B', "Bind"),
  CLOSE('C', "Close"),
  COPY_DATA('d', "CopyData"),
  COPY_DONE('c', "CopyDone"),
  COPY_FAIL('f', "CopyFail"),
  DESCRIBE('D', "Describe"),
  EXECUTE('E', "Execute"),
  FLUSH('H', "Flush"),
  FUNCTION_CALL('F', "FunctionCall"),
  PARSE('P', "Parse"),
  PASSWORD('p', "PasswordMessage"),
  QUERY('Q', "Query"),
  SYNC('S', "Sync"),
  TERMINATE('X', "Terminate");

  private static final FrontendType[] BY_CODE = new FrontendType[256];

  static {
    for (FrontendType t : values()) {
      BY_CODE[t.code & 0xFF] = t;
    }
  }

  private final byte code;
  private final String messageName;

  FrontendType(char code, String messageName) {
    this.code = (byte) code;
    this.messageName = messageName;
  }

  public byte code() {
    return code;
  }

  /** The message's name in the PostgreSQL documentation. */
  public String messageName() {
    return messageName;
  }

  /** The type with this code, or {@code null} if no frontend message has it. */
  public static FrontendType fromCode(byte code) {
    return BY_CODE[code & 0xFF];
  }
}
