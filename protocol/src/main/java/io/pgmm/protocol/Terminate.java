package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;

/** Terminate 'X': the client is closing the connection. Empty body. */
public record Terminate() implements TypedFrontendMessage {

  public static final Terminate INSTANCE = new Terminate();

  @Override
  public FrontendType frontendType() {
    return FrontendType.TERMINATE;
  }

  @Override
  public void writeBody(ByteBuf out) {}
}
