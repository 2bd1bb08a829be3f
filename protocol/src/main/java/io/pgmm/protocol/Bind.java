package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;
import java.util.Arrays;
import java.util.Objects;

/**
 * Bind 'B': C-string portal name, C-string statement name, int16 count + int16 parameter format
 * codes, int16 count + parameter values (int32 length, -1 = NULL, then bytes), int16 count + int16
 * result format codes.
 *
 * <p>Whether the format counts are 0, 1 or one per parameter/column is PostgreSQL's to check (it
 * answers with a plain ERROR, not a connection-ending violation), so it is not checked here.
 *
 * @param parameterValues {@code null} entries are SQL NULL
 */
public record Bind(String portalName, String statementName, short[] parameterFormats, byte[][] parameterValues,
                   short[] resultFormats) implements TypedFrontendMessage {

  public Bind {
    Wire.cstring(portalName, "portalName");
    Wire.cstring(statementName, "statementName");
    Objects.requireNonNull(parameterFormats, "parameterFormats");
    Objects.requireNonNull(parameterValues, "parameterValues");
    Objects.requireNonNull(resultFormats, "resultFormats");
    Wire.count16(parameterFormats.length, "parameterFormats");
    Wire.count16(parameterValues.length, "parameterValues");
    Wire.count16(resultFormats.length, "resultFormats");
  }

  @Override
  public FrontendType frontendType() {
    return FrontendType.BIND;
  }

  @Override
  public void writeBody(ByteBuf out) {
    Wire.writeCString(out, portalName);
    Wire.writeCString(out, statementName);
    Wire.writeShorts(out, parameterFormats);
    Wire.writeValues(out, parameterValues);
    Wire.writeShorts(out, resultFormats);
  }

  static Bind decode(PayloadReader r) {
    return new Bind(r.cstring("portal name"), r.cstring("statement name"), r.shorts("parameter format codes"),
        r.values("parameter values"), r.shorts("result format codes"));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Bind that
        && portalName.equals(that.portalName)
        && statementName.equals(that.statementName)
        && Arrays.equals(parameterFormats, that.parameterFormats)
        && Arrays.deepEquals(parameterValues, that.parameterValues)
        && Arrays.equals(resultFormats, that.resultFormats);
  }

  @Override
  public int hashCode() {
    return Objects.hash(portalName, statementName, Arrays.hashCode(parameterFormats),
        Arrays.deepHashCode(parameterValues), Arrays.hashCode(resultFormats));
  }

  @Override
  public String toString() {
    return "Bind[portalName=" + portalName + ", statementName=" + statementName
        + ", parameterFormats=" + Arrays.toString(parameterFormats)
        + ", parameterValues=" + Wire.valuesToString(parameterValues)
        + ", resultFormats=" + Arrays.toString(resultFormats) + "]";
  }
}
