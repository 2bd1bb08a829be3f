package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;
import java.util.Arrays;
import java.util.Objects;

/**
 * Parse 'P': C-string statement name (empty = unnamed), C-string SQL, int16 count, int32 parameter
 * type OIDs (0 = let the server infer).
 */
public record Parse(String statementName, String sql, int[] parameterTypeOids) implements TypedFrontendMessage {

  public Parse {
    Wire.cstring(statementName, "statementName");
    Wire.cstring(sql, "sql");
    Objects.requireNonNull(parameterTypeOids, "parameterTypeOids");
    Wire.count16(parameterTypeOids.length, "parameterTypeOids");
  }

  @Override
  public FrontendType frontendType() {
    return FrontendType.PARSE;
  }

  @Override
  public void writeBody(ByteBuf out) {
    Wire.writeCString(out, statementName);
    Wire.writeCString(out, sql);
    out.writeShort(parameterTypeOids.length);
    for (int oid : parameterTypeOids) {
      out.writeInt(oid);
    }
  }

  static Parse decode(PayloadReader r) {
    return new Parse(r.cstring("statement name"), r.cstring("query string"), r.ints("parameter types"));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Parse that
        && statementName.equals(that.statementName)
        && sql.equals(that.sql)
        && Arrays.equals(parameterTypeOids, that.parameterTypeOids);
  }

  @Override
  public int hashCode() {
    return Objects.hash(statementName, sql, Arrays.hashCode(parameterTypeOids));
  }

  @Override
  public String toString() {
    return "Parse[statementName=" + statementName + ", sql=" + sql
        + ", parameterTypeOids=" + Arrays.toString(parameterTypeOids) + "]";
  }
}
