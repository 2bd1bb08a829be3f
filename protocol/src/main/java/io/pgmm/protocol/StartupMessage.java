package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * StartupMessage: int32 protocol version (major in the high 16 bits), then name/value C-string
 * pairs ("user", "database", "options", GUCs, "_pq_." protocol options), then a terminating NUL.
 *
 * @param protocolVersion as sent; the decoder accepts any 3.x and keeps the minor version so the
 *     server can answer NegotiateProtocolVersion
 * @param parameters in wire order; an unmodifiable copy. A name sent twice keeps its first
 *     position and its last value (PostgreSQL applies the last one too)
 */
public record StartupMessage(int protocolVersion, Map<String, String> parameters) implements StartupPacket {

  /** Protocol 3.0: major 3, minor 0. */
  public static final int PROTOCOL_3_0 = 3 << 16;

  public StartupMessage {
    Objects.requireNonNull(parameters, "parameters");
    LinkedHashMap<String, String> copy = new LinkedHashMap<>();
    parameters.forEach((name, value) -> {
      if (Wire.cstring(name, "parameter name").isEmpty()) {
        throw new IllegalArgumentException("empty parameter name");
      }
      copy.put(name, Wire.cstring(value, "value of parameter " + name));
    });
    parameters = Collections.unmodifiableMap(copy);
  }

  /** A protocol 3.0 startup message. */
  public static StartupMessage v3(Map<String, String> parameters) {
    return new StartupMessage(PROTOCOL_3_0, parameters);
  }

  public int majorVersion() {
    return protocolVersion >>> 16;
  }

  public int minorVersion() {
    return protocolVersion & 0xFFFF;
  }

  @Override
  public void writeBody(ByteBuf out) {
    out.writeInt(protocolVersion);
    parameters.forEach((name, value) -> {
      Wire.writeCString(out, name);
      Wire.writeCString(out, value);
    });
    out.writeByte(0);
  }

  static StartupMessage decode(int protocolVersion, PayloadReader r) {
    LinkedHashMap<String, String> parameters = new LinkedHashMap<>();
    while (!r.terminator("parameter list")) {
      String name = r.cstring("parameter name");
      parameters.put(name, r.cstring("value of parameter"));
    }
    return new StartupMessage(protocolVersion, parameters);
  }

  @Override
  public String toString() {
    Map<String, String> shown = new LinkedHashMap<>(parameters);
    return "StartupMessage[protocolVersion=" + majorVersion() + "." + minorVersion() + ", parameters=" + shown + "]";
  }
}
