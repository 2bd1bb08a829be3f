package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;
import java.util.Arrays;
import java.util.Objects;

/** CopyData 'd', either direction: the rest of the message is COPY data. */
public record CopyData(byte[] data) implements TypedFrontendMessage, BackendMessage {

  public CopyData {
    Objects.requireNonNull(data, "data");
  }

  @Override
  public FrontendType frontendType() {
    return FrontendType.COPY_DATA;
  }

  @Override
  public BackendType backendType() {
    return BackendType.COPY_DATA;
  }

  @Override
  public void writeBody(ByteBuf out) {
    out.writeBytes(data);
  }

  static CopyData decode(PayloadReader r) {
    return new CopyData(r.rest());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CopyData that && Arrays.equals(data, that.data);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return "CopyData[data=" + Wire.bytesToString(data) + "]";
  }
}
