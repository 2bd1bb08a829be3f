package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;

/** SSLRequest: int32 80877103 (1234.5679). Answered by one {@link EncryptionResponse} byte. */
public record SslRequest() implements StartupPacket {

  public static final int CODE = 80877103;
  public static final SslRequest INSTANCE = new SslRequest();

  @Override
  public void writeBody(ByteBuf out) {
    out.writeInt(CODE);
  }
}
