package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;

/** NoData 'n': the described statement or portal returns no rows. Empty body. */
public record NoData() implements BackendMessage {

  public static final NoData INSTANCE = new NoData();

  @Override
  public BackendType backendType() {
    return BackendType.NO_DATA;
  }

  @Override
  public void writeBody(ByteBuf out) {}
}
