package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;

/** PasswordMessage 'p': the password (cleartext or "md5..." hash) as a C string. */
public record PasswordMessage(String password) implements AuthenticationResponse {

  public PasswordMessage {
    Wire.cstring(password, "password");
  }

  @Override
  public PasswordKind kind() {
    return PasswordKind.PASSWORD;
  }

  @Override
  public void writeBody(ByteBuf out) {
    Wire.writeCString(out, password);
  }

  static PasswordMessage decode(PayloadReader r) {
    return new PasswordMessage(r.cstring("password"));
  }

  @Override
  public String toString() {
    return "PasswordMessage[password=<redacted>]";
  }
}
