package io.pgmm.replication.pgoutput;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** Builds pgoutput messages byte by byte, as PostgreSQL writes them (big-endian, zero-terminated strings). */
public final class PgOutputBytes {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    public static PgOutputBytes of(char type) {
        return new PgOutputBytes().u8(type);
    }

    public PgOutputBytes u8(int b) {
        out.write(b);
        return this;
    }

    public PgOutputBytes i16(int v) {
        return u8(v >>> 8).u8(v);
    }

    public PgOutputBytes i32(int v) {
        out.writeBytes(ByteBuffer.allocate(4).putInt(v).array());
        return this;
    }

    public PgOutputBytes i64(long v) {
        out.writeBytes(ByteBuffer.allocate(8).putLong(v).array());
        return this;
    }

    public PgOutputBytes str(String s) {
        out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
        return u8(0);
    }

    public PgOutputBytes raw(byte[] bytes) {
        out.writeBytes(bytes);
        return this;
    }

    /** A TupleData: each value is null (n), the string "\u0000u" for unchanged toast, or text. */
    public PgOutputBytes tuple(String... values) {
        i16(values.length);
        for (String v : values) {
            if (v == null) {
                u8('n');
            } else if (v.equals("\u0000u")) {
                u8('u');
            } else {
                byte[] b = v.getBytes(StandardCharsets.UTF_8);
                u8('t').i32(b.length).raw(b);
            }
        }
        return this;
    }

    public byte[] bytes() {
        return out.toByteArray();
    }
}
