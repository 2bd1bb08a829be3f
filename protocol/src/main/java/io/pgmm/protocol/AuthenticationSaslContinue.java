package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;
import java.util.Arrays;
import java.util.Objects;

/** AuthenticationSASLContinue (11): the rest is SASL data (for SCRAM, the server-first-message). */
public record AuthenticationSaslContinue(byte[] data) implements Authentication {

  public AuthenticationSaslContinue {
    Objects.requireNonNull(data, "data");
  }

  @Override
  public AuthenticationType authenticationType() {
    return AuthenticationType.SASL_CONTINUE;
  }

  @Override
  public void writeFields(ByteBuf out) {
    out.writeBytes(data);
  }

  static AuthenticationSaslContinue decode(PayloadReader r) {
    return new AuthenticationSaslContinue(r.rest());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AuthenticationSaslContinue that && Arrays.equals(data, that.data);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return "AuthenticationSaslContinue[data=" + Wire.bytesToString(data) + "]";
  }
}
