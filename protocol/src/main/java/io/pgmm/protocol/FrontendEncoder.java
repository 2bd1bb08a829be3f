package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;

/** Writes whole frontend messages: type byte (none for startup packets), length word, body. */
public final class FrontendEncoder {

  private FrontendEncoder() {}

  public static void encode(FrontendMessage message, ByteBuf out) {
    // FrontendMessage permits exactly these two; each record's body is its own writeBody.
    if (message instanceof TypedFrontendMessage typed) {
      out.writeByte(typed.frontendType().code());
    } else if (!(message instanceof StartupPacket)) {
      throw new IllegalStateException("unexpected FrontendMessage " + message.getClass());
    }
    int lengthIndex = out.writerIndex();
    out.writeInt(0);
    message.writeBody(out);
    out.setInt(lengthIndex, out.writerIndex() - lengthIndex);
  }
}
