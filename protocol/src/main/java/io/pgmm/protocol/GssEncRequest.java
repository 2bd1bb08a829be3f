package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;

/** GSSENCRequest: int32 80877104 (1234.5680). Answered by one {@link EncryptionResponse} byte. */
public record GssEncRequest() implements StartupPacket {

  public static final int CODE = 80877104;
  public static final GssEncRequest INSTANCE = new GssEncRequest();

  @Override
  public void writeBody(ByteBuf out) {
    out.writeInt(CODE);
  }
}
