package io.pgmm.protocol;

/** What a Describe or Close names: a prepared statement ('S') or a portal ('P'). */
public enum DescribeTarget {
  STATEMENT('S'),
  PORTAL('P');

  private final byte code;

  DescribeTarget(char code) {
    this.code = (byte) code;
  }

  public byte code() {
    return code;
  }

  /** The target with this code, or {@code null} if unknown. */
  public static DescribeTarget fromCode(byte code) {
    for (DescribeTarget t : values()) {
      if (t.code == code) {
        return t;
      }
    }
    return null;
  }
}
