package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;
import java.util.Arrays;
import java.util.Objects;

/** SASLResponse 'p': the rest of the message is SASL mechanism data (for SCRAM, the client-final-message). */
public record SaslResponse(byte[] data) implements AuthenticationResponse {

  public SaslResponse {
    Objects.requireNonNull(data, "data");
  }

  @Override
  public PasswordKind kind() {
    return PasswordKind.SASL_RESPONSE;
  }

  @Override
  public void writeBody(ByteBuf out) {
    out.writeBytes(data);
  }

  static SaslResponse decode(PayloadReader r) {
    return new SaslResponse(r.rest());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SaslResponse that && Arrays.equals(data, that.data);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return "SaslResponse[data=" + Wire.redacted(data) + "]";
  }
}
