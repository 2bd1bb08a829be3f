package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;

/** BindComplete '2': Bind succeeded. Empty body. */
public record BindComplete() implements BackendMessage {

  public static final BindComplete INSTANCE = new BindComplete();

  @Override
  public BackendType backendType() {
    return BackendType.BIND_COMPLETE;
  }

  @Override
  public void writeBody(ByteBuf out) {}
}
