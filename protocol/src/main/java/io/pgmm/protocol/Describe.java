package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;
import java.util.Objects;

/**
 * Describe 'D': byte 'S' (statement) or 'P' (portal), C-string name (empty = unnamed). Answered by ParameterDescription + RowDescription/NoData (statement) or RowDescription/NoData (portal).
 *
 * <p>PostgreSQL answers an unknown target byte with a plain ERROR; here it is a {@link
 * ProtocolViolation}, since the record cannot hold it.
 */
public record Describe(DescribeTarget target, String name) implements TypedFrontendMessage {

  public Describe {
    Objects.requireNonNull(target, "target");
    Wire.cstring(name, "name");
  }

  @Override
  public FrontendType frontendType() {
    return FrontendType.DESCRIBE;
  }

  @Override
  public void writeBody(ByteBuf out) {
    out.writeByte(target.code());
    Wire.writeCString(out, name);
  }

  static Describe decode(PayloadReader r) {
    byte code = r.int8("target");
    DescribeTarget target = DescribeTarget.fromCode(code);
    if (target == null) {
      throw r.violation("invalid target " + Wire.typeByte(code) + ", expected 'S' or 'P'");
    }
    return new Describe(target, r.cstring("name"));
  }
}
