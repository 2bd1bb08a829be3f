package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;
import java.util.Arrays;
import java.util.Objects;

/** AuthenticationGSSContinue (8): the rest is GSSAPI or SSPI data. */
public record AuthenticationGssContinue(byte[] data) implements Authentication {

  public AuthenticationGssContinue {
    Objects.requireNonNull(data, "data");
  }

  @Override
  public AuthenticationType authenticationType() {
    return AuthenticationType.GSS_CONTINUE;
  }

  @Override
  public void writeFields(ByteBuf out) {
    out.writeBytes(data);
  }

  static AuthenticationGssContinue decode(PayloadReader r) {
    return new AuthenticationGssContinue(r.rest());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AuthenticationGssContinue that && Arrays.equals(data, that.data);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return "AuthenticationGssContinue[data=" + Wire.bytesToString(data) + "]";
  }
}
