package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;

/** CommandComplete 'C': C-string command tag, e.g. "INSERT 0 1", "SELECT 5", "COMMIT". */
public record CommandComplete(String tag) implements BackendMessage {

  public CommandComplete {
    Wire.cstring(tag, "tag");
  }

  @Override
  public BackendType backendType() {
    return BackendType.COMMAND_COMPLETE;
  }

  @Override
  public void writeBody(ByteBuf out) {
    Wire.writeCString(out, tag);
  }

  static CommandComplete decode(PayloadReader r) {
    return new CommandComplete(r.cstring("command tag"));
  }
}
