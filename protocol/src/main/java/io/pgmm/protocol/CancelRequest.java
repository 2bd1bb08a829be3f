package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;

/** CancelRequest: int32 80877102 (1234.5678), int32 process ID, int32 secret key; sent on a new connection. */
public record CancelRequest(int processId, int secretKey) implements StartupPacket {

  public static final int CODE = 80877102;

  @Override
  public void writeBody(ByteBuf out) {
    out.writeInt(CODE);
    out.writeInt(processId);
    out.writeInt(secretKey);
  }

  static CancelRequest decode(PayloadReader r) {
    return new CancelRequest(r.int32("process ID"), r.int32("secret key"));
  }

  @Override
  public String toString() {
    return "CancelRequest[processId=" + processId + ", secretKey=<redacted>]";
  }
}
