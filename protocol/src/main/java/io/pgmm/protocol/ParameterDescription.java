package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;
import java.util.Arrays;
import java.util.Objects;

/** ParameterDescription 't': int16 count, int32 type OID per parameter of the described statement. */
public record ParameterDescription(int[] oids) implements BackendMessage {

  public ParameterDescription {
    Objects.requireNonNull(oids, "oids");
    Wire.count16(oids.length, "oids");
  }

  @Override
  public BackendType backendType() {
    return BackendType.PARAMETER_DESCRIPTION;
  }

  @Override
  public void writeBody(ByteBuf out) {
    out.writeShort(oids.length);
    for (int oid : oids) {
      out.writeInt(oid);
    }
  }

  static ParameterDescription decode(PayloadReader r) {
    return new ParameterDescription(r.ints("parameter types"));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ParameterDescription that && Arrays.equals(oids, that.oids);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(oids);
  }

  @Override
  public String toString() {
    return "ParameterDescription[oids=" + Arrays.toString(oids) + "]";
  }
}
