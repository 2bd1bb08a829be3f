package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;

/** ParseComplete '1': Parse succeeded. Empty body. */
public record ParseComplete() implements BackendMessage {

  public static final ParseComplete INSTANCE = new ParseComplete();

  @Override
  public BackendType backendType() {
    return BackendType.PARSE_COMPLETE;
  }

  @Override
  public void writeBody(ByteBuf out) {}
}
