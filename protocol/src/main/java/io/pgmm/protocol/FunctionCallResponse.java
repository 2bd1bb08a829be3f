package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;
import java.util.Arrays;

/**
 * FunctionCallResponse 'V': int32 length (-1 = NULL), the result bytes.
 *
 * @param result {@code null} for SQL NULL
 */
public record FunctionCallResponse(byte[] result) implements BackendMessage {

  @Override
  public BackendType backendType() {
    return BackendType.FUNCTION_CALL_RESPONSE;
  }

  @Override
  public void writeBody(ByteBuf out) {
    Wire.writeNullableBytes(out, result);
  }

  static FunctionCallResponse decode(PayloadReader r) {
    return new FunctionCallResponse(r.nullableBytes("result"));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FunctionCallResponse that && Arrays.equals(result, that.result);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(result);
  }

  @Override
  public String toString() {
    return "FunctionCallResponse[result=" + Wire.bytesToString(result) + "]";
  }
}
