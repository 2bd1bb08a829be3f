package io.pgmm.protocol;

/** The status byte of ReadyForQuery. */
public enum TransactionStatus {
  /** 'I': not in a transaction block. */
  IDLE('I'),
  /** 'T': in a transaction block. */
  IN_TRANSACTION('T'),
  /** 'E': in a failed transaction block; queries are rejected until it ends. */
  FAILED('E');

  private final byte code;

  TransactionStatus(char code) {
    this.code = (byte) code;
  }

  public byte code() {
    return code;
  }

  /** The status with this code, or {@code null} if unknown. */
  public static TransactionStatus fromCode(byte code) {
    for (TransactionStatus s : values()) {
      if (s.code == code) {
        return s;
      }
    }
    return null;
  }
}
