package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;
import java.util.Arrays;
import java.util.Objects;

/** GSSResponse 'p': the rest of the message is GSSAPI or SSPI data. */
public record GssResponse(byte[] data) implements AuthenticationResponse {

  public GssResponse {
    Objects.requireNonNull(data, "data");
  }

  @Override
  public PasswordKind kind() {
    return PasswordKind.GSS;
  }

  @Override
  public void writeBody(ByteBuf out) {
    out.writeBytes(data);
  }

  static GssResponse decode(PayloadReader r) {
    return new GssResponse(r.rest());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof GssResponse that && Arrays.equals(data, that.data);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return "GssResponse[data=" + Wire.redacted(data) + "]";
  }
}
