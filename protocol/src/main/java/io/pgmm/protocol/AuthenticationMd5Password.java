package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;
import java.util.Arrays;
import java.util.Objects;

/** AuthenticationMD5Password (5): send md5(md5(password + user) + salt); followed by the 4-byte salt. */
public record AuthenticationMd5Password(byte[] salt) implements Authentication {

  public static final int SALT_BYTES = 4;

  public AuthenticationMd5Password {
    Objects.requireNonNull(salt, "salt");
    if (salt.length != SALT_BYTES) {
      throw new IllegalArgumentException("salt must be " + SALT_BYTES + " bytes, got " + salt.length);
    }
  }

  @Override
  public AuthenticationType authenticationType() {
    return AuthenticationType.MD5_PASSWORD;
  }

  @Override
  public void writeFields(ByteBuf out) {
    out.writeBytes(salt);
  }

  static AuthenticationMd5Password decode(PayloadReader r) {
    return new AuthenticationMd5Password(r.bytes(SALT_BYTES, "salt"));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AuthenticationMd5Password that && Arrays.equals(salt, that.salt);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(salt);
  }

  @Override
  public String toString() {
    return "AuthenticationMd5Password[salt=" + Wire.bytesToString(salt) + "]";
  }
}
