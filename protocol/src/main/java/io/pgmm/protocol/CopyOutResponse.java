package io.pgmm.protocol;

import java.util.Arrays;
import java.util.Objects;

/** CopyOutResponse 'H': COPY TO STDOUT data follows. See {@link CopyResponse} for the layout. */
public record CopyOutResponse(CopyFormat overall, short[] columnFormats) implements CopyResponse {

  public CopyOutResponse {
    Objects.requireNonNull(overall, "overall");
    Objects.requireNonNull(columnFormats, "columnFormats");
    Wire.count16(columnFormats.length, "columnFormats");
  }

  @Override
  public BackendType backendType() {
    return BackendType.COPY_OUT_RESPONSE;
  }

  static CopyOutResponse decode(PayloadReader r) {
    return new CopyOutResponse(CopyFormat.read(r), r.shorts("column format codes"));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CopyOutResponse that && overall == that.overall && Arrays.equals(columnFormats, that.columnFormats);
  }

  @Override
  public int hashCode() {
    return 31 * overall.hashCode() + Arrays.hashCode(columnFormats);
  }

  @Override
  public String toString() {
    return "CopyOutResponse[overall=" + overall + ", columnFormats=" + Arrays.toString(columnFormats) + "]";
  }
}
