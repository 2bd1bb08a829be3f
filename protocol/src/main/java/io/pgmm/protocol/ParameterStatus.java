package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;

/** ParameterStatus 'S': C-string name, C-string value of a run-time parameter the client is told about. */
public record ParameterStatus(String name, String value) implements BackendMessage {

  public ParameterStatus {
    Wire.cstring(name, "name");
    Wire.cstring(value, "value");
  }

  @Override
  public BackendType backendType() {
    return BackendType.PARAMETER_STATUS;
  }

  @Override
  public void writeBody(ByteBuf out) {
    Wire.writeCString(out, name);
    Wire.writeCString(out, value);
  }

  static ParameterStatus decode(PayloadReader r) {
    return new ParameterStatus(r.cstring("name"), r.cstring("value"));
  }
}
