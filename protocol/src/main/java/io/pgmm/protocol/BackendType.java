package io.pgmm.protocol;

/** The type byte of every message PostgreSQL sends. */
public enum BackendType {
  AUTHENTICATION('R', "Authentication"),
  BACKEND_KEY_DATA('K', "BackendKeyData"),
  BIND_COMPLETE('2', "BindComplete"),
  CLOSE_COMPLETE('3', "CloseComplete"),
  COMMAND_COMPLETE('C', "CommandComplete"),
  COPY_DATA('d', "CopyData"),
  COPY_DONE('c', "CopyDone"),
  COPY_IN_RESPONSE('G', "CopyInResponse"),
  COPY_OUT_RESPONSE('H', "CopyOutResponse"),
  COPY_BOTH_RESPONSE('W', "CopyBothResponse"),
  DATA_ROW('D', "DataRow"),
  EMPTY_QUERY_RESPONSE('I', "EmptyQueryResponse"),
  ERROR_RESPONSE('E', "ErrorResponse"),
  FUNCTION_CALL_RESPONSE('V', "FunctionCallResponse"),
  NEGOTIATE_PROTOCOL_VERSION('v', "NegotiateProtocolVersion"),
  NO_DATA('n', "NoData"),
  NOTICE_RESPONSE('N', "NoticeResponse"),
  NOTIFICATION_RESPONSE('A', "NotificationResponse"),
  PARAMETER_DESCRIPTION('t', "ParameterDescription"),
  PARAMETER_STATUS('S', "ParameterStatus"),
  PARSE_COMPLETE('1', "ParseComplete"),
  PORTAL_SUSPENDED('s', "PortalSuspended"),
  READY_FOR_QUERY('Z', "ReadyForQuery"),
  ROW_DESCRIPTION('T', "RowDescription");

  private static final BackendType[] BY_CODE = new BackendType[256];

  static {
    for (BackendType t : values()) {
      BY_CODE[t.code & 0xFF] = t;
    }
  }

  private final byte code;
  private final String messageName;

  BackendType(char code, String messageName) {
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

  /** The type with this code, or {@code null} if no backend message has it. */
  public static BackendType fromCode(byte code) {
    return BY_CODE[code & 0xFF];
  }
}
