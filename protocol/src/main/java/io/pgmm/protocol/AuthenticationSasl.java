package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;

/** AuthenticationSASL (10): C-string mechanism names in the server's order of preference, then a NUL. */
public record AuthenticationSasl(List<String> mechanisms) implements Authentication {

  public AuthenticationSasl {
    mechanisms = List.copyOf(mechanisms);
    for (String m : mechanisms) {
      if (Wire.cstring(m, "mechanism").isEmpty()) {
        throw new IllegalArgumentException("empty mechanism name");
      }
    }
  }

  @Override
  public AuthenticationType authenticationType() {
    return AuthenticationType.SASL;
  }

  @Override
  public void writeFields(ByteBuf out) {
    for (String m : mechanisms) {
      Wire.writeCString(out, m);
    }
    out.writeByte(0);
  }

  static AuthenticationSasl decode(PayloadReader r) {
    List<String> mechanisms = new ArrayList<>();
    while (!r.terminator("mechanism list")) {
      mechanisms.add(r.cstring("mechanism"));
    }
    return new AuthenticationSasl(mechanisms);
  }
}
