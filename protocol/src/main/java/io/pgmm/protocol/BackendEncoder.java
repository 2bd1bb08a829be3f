package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;

/** Writes whole backend messages: type byte, length word, body. */
public final class BackendEncoder {

  private BackendEncoder() {}

  public static void encode(BackendMessage message, ByteBuf out) {
    out.writeByte(message.backendType().code());
    int lengthIndex = out.writerIndex();
    out.writeInt(0);
    message.writeBody(out);
    out.setInt(lengthIndex, out.writerIndex() - lengthIndex);
  }
}
