package io.pgmm.protocol;

/** The overall format byte of CopyInResponse, CopyOutResponse and CopyBothResponse. */
public enum CopyFormat {
  TEXT(0),
  BINARY(1);

  private final byte code;

  CopyFormat(int code) {
    this.code = (byte) code;
  }

  public byte code() {
    return code;
  }

  /** The format with this code, or {@code null} if unknown. */
  public static CopyFormat fromCode(byte code) {
    for (CopyFormat f : values()) {
      if (f.code == code) {
        return f;
      }
    }
    return null;
  }

  static CopyFormat read(PayloadReader r) {
    byte code = r.int8("overall format");
    CopyFormat format = fromCode(code);
    if (format == null) {
      throw r.violation("invalid overall format " + (code & 0xFF) + ", expected 0 or 1");
    }
    return format;
  }
}
