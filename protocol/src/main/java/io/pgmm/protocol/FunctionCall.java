package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;
import java.util.Arrays;
import java.util.Objects;

/**
 * FunctionCall 'F': int32 function OID, int16 count + int16 argument format codes, int16 count +
 * arguments (int32 length, -1 = NULL, then bytes), int16 result format code.
 *
 * @param arguments {@code null} entries are SQL NULL
 */
public record FunctionCall(int functionOid, short[] argumentFormats, byte[][] arguments, short resultFormat)
    implements TypedFrontendMessage {

  public FunctionCall {
    Objects.requireNonNull(argumentFormats, "argumentFormats");
    Objects.requireNonNull(arguments, "arguments");
    Wire.count16(argumentFormats.length, "argumentFormats");
    Wire.count16(arguments.length, "arguments");
  }

  @Override
  public FrontendType frontendType() {
    return FrontendType.FUNCTION_CALL;
  }

  @Override
  public void writeBody(ByteBuf out) {
    out.writeInt(functionOid);
    Wire.writeShorts(out, argumentFormats);
    Wire.writeValues(out, arguments);
    out.writeShort(resultFormat);
  }

  static FunctionCall decode(PayloadReader r) {
    return new FunctionCall(r.int32("function OID"), r.shorts("argument format codes"), r.values("arguments"),
        r.int16("result format code"));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FunctionCall that
        && functionOid == that.functionOid
        && resultFormat == that.resultFormat
        && Arrays.equals(argumentFormats, that.argumentFormats)
        && Arrays.deepEquals(arguments, that.arguments);
  }

  @Override
  public int hashCode() {
    return Objects.hash(functionOid, resultFormat, Arrays.hashCode(argumentFormats), Arrays.deepHashCode(arguments));
  }

  @Override
  public String toString() {
    return "FunctionCall[functionOid=" + functionOid + ", argumentFormats=" + Arrays.toString(argumentFormats)
        + ", arguments=" + Wire.valuesToString(arguments) + ", resultFormat=" + resultFormat + "]";
  }
}
