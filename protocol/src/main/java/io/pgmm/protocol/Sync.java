package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;

/** Sync 'S': ends an extended-query batch; the server answers ReadyForQuery, and after an error skips everything up to here. Empty body. */
public record Sync() implements TypedFrontendMessage {

  public static final Sync INSTANCE = new Sync();

  @Override
  public FrontendType frontendType() {
    return FrontendType.SYNC;
  }

  @Override
  public void writeBody(ByteBuf out) {}
}
