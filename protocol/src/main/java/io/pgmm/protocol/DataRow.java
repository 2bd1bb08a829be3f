package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;
import java.util.Arrays;
import java.util.Objects;

/**
 * DataRow 'D': int16 column count, then per column int32 length (-1 = NULL) and the bytes.
 *
 * @param values {@code null} entries are SQL NULL
 */
public record DataRow(byte[][] values) implements BackendMessage {

  public DataRow {
    Objects.requireNonNull(values, "values");
    Wire.count16(values.length, "values");
  }

  @Override
  public BackendType backendType() {
    return BackendType.DATA_ROW;
  }

  @Override
  public void writeBody(ByteBuf out) {
    Wire.writeValues(out, values);
  }

  static DataRow decode(PayloadReader r) {
    return new DataRow(r.values("column values"));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DataRow that && Arrays.deepEquals(values, that.values);
  }

  @Override
  public int hashCode() {
    return Arrays.deepHashCode(values);
  }

  @Override
  public String toString() {
    return "DataRow[values=" + Wire.valuesToString(values) + "]";
  }
}
