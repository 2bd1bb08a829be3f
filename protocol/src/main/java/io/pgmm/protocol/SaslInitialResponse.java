package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;
import java.util.Arrays;

/**
 * SASLInitialResponse 'p': C-string mechanism name, int32 length of the initial response (-1 for
 * none), the response bytes.
 *
 * @param data the client-first-message, or {@code null} when the length was -1
 */
public record SaslInitialResponse(String mechanism, byte[] data) implements AuthenticationResponse {

  public SaslInitialResponse {
    Wire.cstring(mechanism, "mechanism");
  }

  @Override
  public PasswordKind kind() {
    return PasswordKind.SASL_INITIAL;
  }

  @Override
  public void writeBody(ByteBuf out) {
    Wire.writeCString(out, mechanism);
    Wire.writeNullableBytes(out, data);
  }

  static SaslInitialResponse decode(PayloadReader r) {
    return new SaslInitialResponse(r.cstring("mechanism"), r.nullableBytes("initial response"));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SaslInitialResponse that && mechanism.equals(that.mechanism) && Arrays.equals(data, that.data);
  }

  @Override
  public int hashCode() {
    return 31 * mechanism.hashCode() + Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return "SaslInitialResponse[mechanism=" + mechanism + ", data=" + Wire.redacted(data) + "]";
  }
}
