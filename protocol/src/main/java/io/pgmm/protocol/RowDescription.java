package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;

/** RowDescription 'T': int16 count, then per column the fields of {@link Field}. */
public record RowDescription(List<Field> fields) implements BackendMessage {

  /**
   * One column: C-string name, int32 table OID (0 if none), int16 column attribute number (0 if
   * none), int32 type OID, int16 type size (negative = variable), int32 type modifier, int16 format
   * code (0 text, 1 binary).
   */
  public record Field(String name, int tableOid, short columnAttributeNumber, int dataTypeOid, short dataTypeSize,
                      int typeModifier, short formatCode) {

    /** Fixed-size part of a field after its name. */
    static final int FIXED_BYTES = 18;

    public Field {
      Wire.cstring(name, "name");
    }
  }

  public RowDescription {
    fields = List.copyOf(fields);
    Wire.count16(fields.size(), "fields");
  }

  @Override
  public BackendType backendType() {
    return BackendType.ROW_DESCRIPTION;
  }

  @Override
  public void writeBody(ByteBuf out) {
    out.writeShort(fields.size());
    for (Field f : fields) {
      Wire.writeCString(out, f.name());
      out.writeInt(f.tableOid());
      out.writeShort(f.columnAttributeNumber());
      out.writeInt(f.dataTypeOid());
      out.writeShort(f.dataTypeSize());
      out.writeInt(f.typeModifier());
      out.writeShort(f.formatCode());
    }
  }

  static RowDescription decode(PayloadReader r) {
    int n = r.count16("fields", 1 + Field.FIXED_BYTES);
    List<Field> fields = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      fields.add(new Field(r.cstring("field name"), r.int32("table OID"), r.int16("column attribute number"),
          r.int32("type OID"), r.int16("type size"), r.int32("type modifier"), r.int16("format code")));
    }
    return new RowDescription(fields);
  }
}
