package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;

/** BackendKeyData 'K': int32 process ID, int32 secret key; what a CancelRequest must quote. */
public record BackendKeyData(int processId, int secretKey) implements BackendMessage {

  @Override
  public BackendType backendType() {
    return BackendType.BACKEND_KEY_DATA;
  }

  @Override
  public void writeBody(ByteBuf out) {
    out.writeInt(processId);
    out.writeInt(secretKey);
  }

  static BackendKeyData decode(PayloadReader r) {
    return new BackendKeyData(r.int32("process ID"), r.int32("secret key"));
  }

  @Override
  public String toString() {
    return "BackendKeyData[processId=" + processId + ", secretKey=<redacted>]";
  }
}
