package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;

/** CopyDone 'c', either direction: the COPY data stream ends. Empty body. */
public record CopyDone() implements TypedFrontendMessage, BackendMessage {

  public static final CopyDone INSTANCE = new CopyDone();

  @Override
  public FrontendType frontendType() {
    return FrontendType.COPY_DONE;
  }

  @Override
  public BackendType backendType() {
    return BackendType.COPY_DONE;
  }

  @Override
  public void writeBody(ByteBuf out) {}
}
