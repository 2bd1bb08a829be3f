package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;
import java.util.Objects;

/**
 * Close 'C': byte 'S' (statement) or 'P' (portal), C-string name (empty = unnamed). Answered by CloseComplete.
 *
 * <p>PostgreSQL answers an unknown target byte with a plain ERROR; here it is a {@link
 * ProtocolViolation}, since the record cannot hold it.
 */
public record Close(DescribeTarget target, String name) implements TypedFrontendMessage {

  public Close {
    Objects.requireNonNull(target, "target");
    Wire.cstring(name, "name");
  }

  @Override
  public FrontendType frontendType() {
    return FrontendType.CLOSE;
  }

  @Override
  public void writeBody(ByteBuf out) {
    out.writeByte(target.code());
    Wire.writeCString(out, name);
  }

  static Close decode(PayloadReader r) {
    byte code = r.int8("target");
    DescribeTarget target = DescribeTarget.fromCode(code);
    if (target == null) {
      throw r.violation("invalid target " + Wire.typeByte(code) + ", expected 'S' or 'P'");
    }
    return new Close(target, r.cstring("name"));
  }
}
