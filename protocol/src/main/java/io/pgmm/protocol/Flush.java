package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;

/** Flush 'H': asks the server to send what it has buffered. Empty body. */
public record Flush() implements TypedFrontendMessage {

  public static final Flush INSTANCE = new Flush();

  @Override
  public FrontendType frontendType() {
    return FrontendType.FLUSH;
  }

  @Override
  public void writeBody(ByteBuf out) {}
}
