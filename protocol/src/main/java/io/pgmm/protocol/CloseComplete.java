package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;

/** CloseComplete '3': Close succeeded. Empty body. */
public record CloseComplete() implements BackendMessage {

  public static final CloseComplete INSTANCE = new CloseComplete();

  @Override
  public BackendType backendType() {
    return BackendType.CLOSE_COMPLETE;
  }

  @Override
  public void writeBody(ByteBuf out) {}
}
