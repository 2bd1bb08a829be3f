package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;

/** CopyFail 'f': C-string reason; the client aborts COPY FROM STDIN. */
public record CopyFail(String message) implements TypedFrontendMessage {

  public CopyFail {
    Wire.cstring(message, "message");
  }

  @Override
  public FrontendType frontendType() {
    return FrontendType.COPY_FAIL;
  }

  @Override
  public void writeBody(ByteBuf out) {
    Wire.writeCString(out, message);
  }

  static CopyFail decode(PayloadReader r) {
    return new CopyFail(r.cstring("message"));
  }
}
