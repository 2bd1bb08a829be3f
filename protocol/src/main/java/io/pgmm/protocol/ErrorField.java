package io.pgmm.protocol;

/**
 * The field codes of ErrorResponse and NoticeResponse, in the order PostgreSQL documents them
 * (which is also the order {@link BackendEncoder} writes them).
 */
public enum ErrorField {
  /** 'S': ERROR, FATAL, PANIC, WARNING, NOTICE, DEBUG, INFO or LOG, possibly localized. */
  SEVERITY('S'),
  /** 'V': the severity, never localized. */
  SEVERITY_NON_LOCALIZED('V'),
  /** 'C': the SQLSTATE code. */
  SQLSTATE('C'),
  /** 'M': the primary human-readable message. */
  MESSAGE('M'),
  /** 'D': detail. */
  DETAIL('D'),
  /** 'H': hint. */
  HINT('H'),
  /** 'P': 1-based character position in the original query. */
  POSITION('P'),
  /** 'p': position in an internally generated command. */
  INTERNAL_POSITION('p'),
  /** 'q': the internally generated command. */
  INTERNAL_QUERY('q'),
  /** 'W': call-stack context. */
  WHERE('W'),
  /** 's': schema name. */
  SCHEMA_NAME('s'),
  /** 't': table name. */
  TABLE_NAME('t'),
  /** 'c': column name. */
  COLUMN_NAME('c'),
  /** 'd': data type name. */
  DATA_TYPE_NAME('d'),
  /** 'n': constraint name. */
  CONSTRAINT_NAME('n'),
  /** 'F': source file. */
  FILE('F'),
  /** 'L': source line. */
  LINE('L'),
  /** 'R': source routine. */
  ROUTINE('R');

  private final byte code;

  ErrorField(char code) {
    this.code = (byte) code;
  }

  public byte code() {
    return code;
  }

  /** The field with this code, or {@code null} if unknown (clients must ignore unknown fields). */
  public static ErrorField fromCode(byte code) {
    for (ErrorField f : values()) {
      if (f.code == code) {
        return f;
      }
    }
    return null;
  }
}
