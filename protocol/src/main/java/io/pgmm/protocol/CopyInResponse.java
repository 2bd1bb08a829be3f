package io.pgmm.protocol;

import java.util.Arrays;
import java.util.Objects;

/** CopyInResponse 'G': the server is ready for COPY FROM STDIN data. See {@link CopyResponse} for the layout. */
public record CopyInResponse(CopyFormat overall, short[] columnFormats) implements CopyResponse {

  public CopyInResponse {
    Objects.requireNonNull(overall, "overall");
    Objects.requireNonNull(columnFormats, "columnFormats");
    Wire.count16(columnFormats.length, "columnFormats");
  }

  @Override
  public BackendType backendType() {
    return BackendType.COPY_IN_RESPONSE;
  }

  static CopyInResponse decode(PayloadReader r) {
    return new CopyInResponse(CopyFormat.read(r), r.shorts("column format codes"));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CopyInResponse that && overall == that.overall && Arrays.equals(columnFormats, that.columnFormats);
  }

  @Override
  public int hashCode() {
    return 31 * overall.hashCode() + Arrays.hashCode(columnFormats);
  }

  @Override
  public String toString() {
    return "CopyInResponse[overall=" + overall + ", columnFormats=" + Arrays.toString(columnFormats) + "]";
  }
}
