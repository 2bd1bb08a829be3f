package io.pgmm.protocol;

import java.util.Arrays;
import java.util.Objects;

/** CopyBothResponse 'W': copy in both directions (streaming replication). See {@link CopyResponse} for the layout. */
public record CopyBothResponse(CopyFormat overall, short[] columnFormats) implements CopyResponse {

  public CopyBothResponse {
    Objects.requireNonNull(overall, "overall");
    Objects.requireNonNull(columnFormats, "columnFormats");
    Wire.count16(columnFormats.length, "columnFormats");
  }

  @Override
  public BackendType backendType() {
    return BackendType.COPY_BOTH_RESPONSE;
  }

  static CopyBothResponse decode(PayloadReader r) {
    return new CopyBothResponse(CopyFormat.read(r), r.shorts("column format codes"));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CopyBothResponse that && overall == that.overall && Arrays.equals(columnFormats, that.columnFormats);
  }

  @Override
  public int hashCode() {
    return 31 * overall.hashCode() + Arrays.hashCode(columnFormats);
  }

  @Override
  public String toString() {
    return "CopyBothResponse[overall=" + overall + ", columnFormats=" + Arrays.toString(columnFormats) + "]";
  }
}
