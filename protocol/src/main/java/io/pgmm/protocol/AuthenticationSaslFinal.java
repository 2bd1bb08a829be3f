package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;
import java.util.Arrays;
import java.util.Objects;

/** AuthenticationSASLFinal (12): the rest is SASL outcome data (for SCRAM, the server-final-message). */
public record AuthenticationSaslFinal(byte[] data) implements Authentication {

  public AuthenticationSaslFinal {
    Objects.requireNonNull(data, "data");
  }

  @Override
  public AuthenticationType authenticationType() {
    return AuthenticationType.SASL_FINAL;
  }

  @Override
  public void writeFields(ByteBuf out) {
    out.writeBytes(data);
  }

  static AuthenticationSaslFinal decode(PayloadReader r) {
    return new AuthenticationSaslFinal(r.rest());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AuthenticationSaslFinal that && Arrays.equals(data, that.data);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return "AuthenticationSaslFinal[data=" + Wire.bytesToString(data) + "]";
  }
}
