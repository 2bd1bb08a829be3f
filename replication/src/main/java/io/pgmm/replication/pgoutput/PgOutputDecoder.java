package io.pgmm.replication.pgoutput;

import io.pgmm.replication.pgoutput.PgOutputMessage.Begin;
import io.pgmm.replication.pgoutput.PgOutputMessage.BeginPrepare;
import io.pgmm.replication.pgoutput.PgOutputMessage.Column;
import io.pgmm.replication.pgoutput.PgOutputMessage.Commit;
import io.pgmm.replication.pgoutput.PgOutputMessage.CommitPrepared;
import io.pgmm.replication.pgoutput.PgOutputMessage.Delete;
import io.pgmm.replication.pgoutput.PgOutputMessage.Insert;
import io.pgmm.replication.pgoutput.PgOutputMessage.LogicalMessage;
import io.pgmm.replication.pgoutput.PgOutputMessage.Origin;
import io.pgmm.replication.pgoutput.PgOutputMessage.Prepare;
import io.pgmm.replication.pgoutput.PgOutputMessage.Relation;
import io.pgmm.replication.pgoutput.PgOutputMessage.RollbackPrepared;
import io.pgmm.replication.pgoutput.PgOutputMessage.StreamAbort;
import io.pgmm.replication.pgoutput.PgOutputMessage.StreamCommit;
import io.pgmm.replication.pgoutput.PgOutputMessage.StreamPrepare;
import io.pgmm.replication.pgoutput.PgOutputMessage.StreamStart;
import io.pgmm.replication.pgoutput.PgOutputMessage.StreamStop;
import io.pgmm.replication.pgoutput.PgOutputMessage.Truncate;
import io.pgmm.replication.pgoutput.PgOutputMessage.Type;
import io.pgmm.replication.pgoutput.PgOutputMessage.TypeInfo;
import io.pgmm.replication.pgoutput.PgOutputMessage.Update;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes one pgoutput (protocol version 3) message from the bytes of one XLogData payload. Stateless and
 * thread-safe; no I/O.
 *
 * <p>Every length read from the wire is checked against the bytes that remain before anything is allocated, and
 * a message must be consumed exactly: a malformed message (truncated, an unknown code, a string without its
 * terminator, bytes left over) raises {@link IllegalArgumentException} naming the message type and what was
 * wrong.
 *
 * <p>Changes inside a streamed block (between Stream Start and Stream Stop) carry an extra transaction id; the
 * caller says so with {@code inStream}, since only the stream's framing tells.
 */
public final class PgOutputDecoder {

    /** PostgreSQL's MaxTupleAttributeNumber: no row has more columns. */
    public static final int MAX_COLUMNS = 1664;

    private PgOutputDecoder() {
    }

    /** Decodes a message outside a streamed block. The buffer's position is advanced to its limit. */
    public static PgOutputMessage decode(ByteBuffer buffer) {
        return decode(buffer, false);
    }

    /** Decodes a raw message outside a streamed block. */
    public static PgOutputMessage decode(byte[] message) {
        return decode(ByteBuffer.wrap(message), false);
    }

    /**
     * Decodes one message; {@code inStream} when it was read between Stream Start and Stream Stop. The message
     * is the bytes from the buffer's position to its limit; the position ends at the limit. The buffer's byte
     * order is ignored (pgoutput is big-endian).
     */
    public static PgOutputMessage decode(ByteBuffer buffer, boolean inStream) {
        ByteBuffer big = buffer.order() == java.nio.ByteOrder.BIG_ENDIAN ? buffer : buffer.duplicate().order(java.nio.ByteOrder.BIG_ENDIAN);
        PgOutputMessage message = decodeBigEndian(big, inStream);
        buffer.position(buffer.limit());
        return message;
    }

    private static PgOutputMessage decodeBigEndian(ByteBuffer buffer, boolean inStream) {
        Reader r = new Reader(buffer);
        byte code = r.u8("message type");
        Type type = Type.of(code);
        if (type == null) {
            throw new MalformedMessageException("pgoutput: unknown message type 0x" + Integer.toHexString(code & 0xff)
                    + " ('" + (char) (code & 0xff) + "')");
        }
        r.context = type;
        PgOutputMessage message = switch (type) {
            case BEGIN -> new Begin(r.i64("final lsn"), r.i64("commit timestamp"), r.i32("xid"));
            case COMMIT -> new Commit(r.u8("flags"), r.i64("commit lsn"), r.i64("end lsn"), r.i64("commit timestamp"));
            case ORIGIN -> new Origin(r.i64("origin lsn"), r.string("origin name"));
            case RELATION -> relation(r, inStream);
            case TYPE -> new TypeInfo(streamXid(r, inStream), r.i32("type oid"), r.string("namespace"), r.string("type name"));
            case INSERT -> insert(r, inStream);
            case UPDATE -> update(r, inStream);
            case DELETE -> delete(r, inStream);
            case TRUNCATE -> truncate(r, inStream);
            case MESSAGE -> logicalMessage(r, inStream);
            case BEGIN_PREPARE -> new BeginPrepare(r.i64("prepare lsn"), r.i64("end lsn"), r.i64("prepare timestamp"),
                    r.i32("xid"), r.string("gid"));
            case PREPARE -> new Prepare(r.u8("flags"), r.i64("prepare lsn"), r.i64("end lsn"),
                    r.i64("prepare timestamp"), r.i32("xid"), r.string("gid"));
            case COMMIT_PREPARED -> new CommitPrepared(r.u8("flags"), r.i64("commit lsn"), r.i64("end lsn"),
                    r.i64("commit timestamp"), r.i32("xid"), r.string("gid"));
            case ROLLBACK_PREPARED -> new RollbackPrepared(r.u8("flags"), r.i64("prepare end lsn"),
                    r.i64("rollback end lsn"), r.i64("prepare timestamp"), r.i64("rollback timestamp"), r.i32("xid"),
                    r.string("gid"));
            case STREAM_START -> new StreamStart(r.i32("xid"), r.u8("first segment") == 1);
            case STREAM_STOP -> new StreamStop();
            case STREAM_COMMIT -> new StreamCommit(r.i32("xid"), r.u8("flags"), r.i64("commit lsn"), r.i64("end lsn"),
                    r.i64("commit timestamp"));
            case STREAM_ABORT -> new StreamAbort(r.i32("xid"), r.i32("subtransaction xid"));
            case STREAM_PREPARE -> new StreamPrepare(r.u8("flags"), r.i64("prepare lsn"), r.i64("end lsn"),
                    r.i64("prepare timestamp"), r.i32("xid"), r.string("gid"));
        };
        if (r.buf.hasRemaining()) {
            throw r.malformed(r.buf.remaining() + " unexpected bytes after the message");
        }
        return message;
    }

    /** The message type of a raw message without decoding it, or null if unknown or empty. */
    public static Type peekType(byte[] message) {
        return message.length == 0 ? null : Type.of(message[0]);
    }

    /**
     * The relation id of an Insert, Update or Delete without decoding its tuples (cheap: the id follows the type
     * byte, and the stream xid inside a streamed block).
     */
    public static int changeRelationId(ByteBuffer buffer, boolean inStream) {
        int offset = buffer.position() + 1 + (inStream ? 4 : 0);
        if (buffer.limit() - offset < 4) {
            throw new MalformedMessageException("pgoutput: change message too short for its relation id");
        }
        return buffer.duplicate().order(java.nio.ByteOrder.BIG_ENDIAN).getInt(offset);
    }

    private static int streamXid(Reader r, boolean inStream) {
        return inStream ? r.i32("stream xid") : 0;
    }

    private static Relation relation(Reader r, boolean inStream) {
        int xid = streamXid(r, inStream);
        int relid = r.i32("relation id");
        String namespace = r.string("namespace");
        String name = r.string("relation name");
        char identity = (char) r.u8("replica identity");
        int count = r.u16("column count");
        r.checkCount(count, MAX_COLUMNS, 10, "columns");
        List<Column> columns = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            byte flags = r.u8("column flags");
            columns.add(new Column((flags & 1) != 0, r.string("column name"), r.i32("column type oid"),
                    r.i32("column type modifier")));
        }
        return new Relation(xid, relid, namespace, name, identity, columns);
    }

    private static Insert insert(Reader r, boolean inStream) {
        int xid = streamXid(r, inStream);
        int relid = r.i32("relation id");
        r.expect('N', "new tuple marker");
        return new Insert(xid, relid, tuple(r));
    }

    private static Update update(Reader r, boolean inStream) {
        int xid = streamXid(r, inStream);
        int relid = r.i32("relation id");
        byte marker = r.u8("tuple marker");
        char oldKind = 0;
        TupleData oldTuple = null;
        if (marker == 'K' || marker == 'O') {
            oldKind = (char) marker;
            oldTuple = tuple(r);
            marker = r.u8("new tuple marker");
        }
        if (marker != 'N') {
            throw r.malformed("expected 'N' (new tuple), got 0x" + Integer.toHexString(marker & 0xff));
        }
        return new Update(xid, relid, oldKind, oldTuple, tuple(r));
    }

    private static Delete delete(Reader r, boolean inStream) {
        int xid = streamXid(r, inStream);
        int relid = r.i32("relation id");
        byte marker = r.u8("old tuple marker");
        if (marker != 'K' && marker != 'O') {
            throw r.malformed("expected 'K' or 'O' (old tuple), got 0x" + Integer.toHexString(marker & 0xff));
        }
        return new Delete(xid, relid, (char) marker, tuple(r));
    }

    private static Truncate truncate(Reader r, boolean inStream) {
        int xid = streamXid(r, inStream);
        int count = r.i32("relation count");
        int options = r.u8("options") & 0xff;
        r.checkCount(count, Integer.MAX_VALUE, 4, "relation ids");
        int[] relids = new int[count];
        for (int i = 0; i < count; i++) {
            relids[i] = r.i32("relation id");
        }
        return new Truncate(xid, options, relids);
    }

    private static LogicalMessage logicalMessage(Reader r, boolean inStream) {
        int xid = streamXid(r, inStream);
        byte flags = r.u8("flags");
        long lsn = r.i64("lsn");
        String prefix = r.string("prefix");
        int length = r.i32("content length");
        return new LogicalMessage(xid, flags, lsn, prefix, r.bytes(length, "content"));
    }

    private static TupleData tuple(Reader r) {
        int count = r.u16("tuple column count");
        r.checkCount(count, MAX_COLUMNS, 1, "tuple columns");
        List<TupleData.Value> values = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            byte code = r.u8("column kind");
            TupleData.Kind kind = TupleData.Kind.of(code);
            if (kind == null) {
                throw r.malformed("column " + i + " has unknown kind 0x" + Integer.toHexString(code & 0xff));
            }
            values.add(switch (kind) {
                case NULL -> TupleData.Value.NULL;
                case UNCHANGED_TOAST -> TupleData.Value.UNCHANGED_TOAST;
                case TEXT, BINARY -> new TupleData.Value(kind, r.bytes(r.i32("column length"), "column " + i));
            });
        }
        return new TupleData(values);
    }

    /** Bounds-checked big-endian reads that name what they read when the message is too short. */
    private static final class Reader {
        final ByteBuffer buf;
        Type context;

        Reader(ByteBuffer buffer) {
            this.buf = buffer;
        }

        MalformedMessageException malformed(String what) {
            return new MalformedMessageException("pgoutput: malformed " + (context == null ? "message"
                    : context + " ('" + context.code() + "') message") + ": " + what);
        }

        private void need(int bytes, String what) {
            if (buf.remaining() < bytes) {
                throw malformed("truncated at " + what + " (need " + bytes + " bytes, " + buf.remaining() + " left)");
            }
        }

        byte u8(String what) {
            need(1, what);
            return buf.get();
        }

        int u16(String what) {
            need(2, what);
            return buf.getShort() & 0xffff;
        }

        int i32(String what) {
            need(4, what);
            return buf.getInt();
        }

        long i64(String what) {
            need(8, what);
            return buf.getLong();
        }

        void expect(char code, String what) {
            byte b = u8(what);
            if (b != code) {
                throw malformed("expected '" + code + "' (" + what + "), got 0x" + Integer.toHexString(b & 0xff));
            }
        }

        void checkCount(int count, int max, int minBytesEach, String what) {
            if (count < 0 || count > max) {
                throw malformed(what + " count " + count + " out of range (0.." + max + ")");
            }
            if ((long) count * minBytesEach > buf.remaining()) {
                throw malformed(count + " " + what + " cannot fit in the " + buf.remaining() + " bytes left");
            }
        }

        byte[] bytes(int length, String what) {
            if (length < 0) {
                throw malformed(what + " has negative length " + length);
            }
            need(length, what);
            byte[] out = new byte[length];
            buf.get(out);
            return out;
        }

        String string(String what) {
            int start = buf.position();
            int end = start;
            int limit = buf.limit();
            while (end < limit && buf.get(end) != 0) {
                end++;
            }
            if (end == limit) {
                throw malformed(what + " has no terminating zero byte");
            }
            byte[] bytes = new byte[end - start];
            buf.get(bytes);
            buf.get(); // the terminator
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }
}
