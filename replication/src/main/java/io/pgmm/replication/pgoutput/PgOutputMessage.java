package io.pgmm.replication.pgoutput;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One message of the pgoutput logical replication protocol, version 3 (PostgreSQL 15, "Logical Replication
 * Message Formats"). Messages are data: {@link PgOutputDecoder} makes them from bytes; they do no I/O.
 *
 * <p>LSNs are {@code long}s as PostgreSQL writes them; timestamps are microseconds since 2000-01-01 UTC
 * (PostgreSQL's epoch; {@link #toEpochMicros} converts). {@code streamXid} is the transaction id that a
 * change carries only inside a streamed block (between Stream Start and Stream Stop); it is 0 otherwise.
 */
public sealed interface PgOutputMessage {

    /** Microseconds between 1970-01-01 and 2000-01-01. */
    long POSTGRES_EPOCH_OFFSET_MICROS = 946_684_800_000_000L;

    static long toEpochMicros(long postgresMicros) {
        return postgresMicros + POSTGRES_EPOCH_OFFSET_MICROS;
    }

    /** The wire code of this message. */
    Type type();

    /** Every message type with its wire code. */
    enum Type {
        BEGIN('B'), COMMIT('C'), ORIGIN('O'), RELATION('R'), TYPE('Y'), INSERT('I'), UPDATE('U'), DELETE('D'),
        TRUNCATE('T'), MESSAGE('M'), BEGIN_PREPARE('b'), PREPARE('P'), COMMIT_PREPARED('K'),
        ROLLBACK_PREPARED('r'), STREAM_START('S'), STREAM_STOP('E'), STREAM_COMMIT('c'), STREAM_ABORT('A'),
        STREAM_PREPARE('p');

        private final char code;

        Type(char code) {
            this.code = code;
        }

        public char code() {
            return code;
        }

        /** The type of a wire code, or null for an unknown one. */
        public static Type of(byte code) {
            for (Type t : values()) {
                if (t.code == code) {
                    return t;
                }
            }
            return null;
        }
    }

    /** 'B': a transaction (without two-phase) begins; {@code finalLsn} is its commit record's LSN. */
    record Begin(long finalLsn, long commitTimestamp, int xid) implements PgOutputMessage {
        public Type type() {
            return Type.BEGIN;
        }
    }

    /** 'C': the transaction begun by the last Begin commits. */
    record Commit(byte flags, long commitLsn, long endLsn, long commitTimestamp) implements PgOutputMessage {
        public Type type() {
            return Type.COMMIT;
        }
    }

    /** 'O': the transaction was applied under a replication origin. */
    record Origin(long originLsn, String name) implements PgOutputMessage {
        public Origin {
            Objects.requireNonNull(name, "name");
        }

        public Type type() {
            return Type.ORIGIN;
        }
    }

    /** One column of a Relation message; {@code key} is true when it belongs to the replica identity. */
    record Column(boolean key, String name, int typeOid, int typeModifier) {
        public Column {
            Objects.requireNonNull(name, "name");
        }
    }

    /**
     * 'R': the shape of a table, sent before its first change in a walsender session and again after it changes.
     * {@code replicaIdentity} is 'd' (default: primary key), 'n' (nothing), 'f' (full) or 'i' (index).
     */
    record Relation(int streamXid, int relationId, String namespace, String name, char replicaIdentity,
                    List<Column> columns) implements PgOutputMessage {
        public Relation {
            Objects.requireNonNull(namespace, "namespace");
            Objects.requireNonNull(name, "name");
            columns = List.copyOf(columns);
        }

        public Type type() {
            return Type.RELATION;
        }
    }

    /** 'Y': a non-built-in data type used by a relation. */
    record TypeInfo(int streamXid, int typeOid, String namespace, String name) implements PgOutputMessage {
        public Type type() {
            return Type.TYPE;
        }
    }

    /** 'I': a new row. */
    record Insert(int streamXid, int relationId, TupleData newTuple) implements PgOutputMessage {
        public Insert {
            Objects.requireNonNull(newTuple, "newTuple");
        }

        public Type type() {
            return Type.INSERT;
        }
    }

    /**
     * 'U': a changed row. {@code oldTuple} is null, or the old replica identity ({@code oldKind} 'K': only key
     * columns are meaningful) or the whole old row ({@code oldKind} 'O', replica identity full); {@code oldKind}
     * is 0 without one.
     */
    record Update(int streamXid, int relationId, char oldKind, TupleData oldTuple, TupleData newTuple)
            implements PgOutputMessage {
        public Update {
            Objects.requireNonNull(newTuple, "newTuple");
            if ((oldTuple == null) != (oldKind == 0)) {
                throw new MalformedMessageException("old tuple and its kind go together");
            }
        }

        public Type type() {
            return Type.UPDATE;
        }
    }

    /** 'D': a deleted row, given by its replica identity ('K') or whole ('O'). */
    record Delete(int streamXid, int relationId, char oldKind, TupleData oldTuple) implements PgOutputMessage {
        public Delete {
            Objects.requireNonNull(oldTuple, "oldTuple");
        }

        public Type type() {
            return Type.DELETE;
        }
    }

    /** 'T': TRUNCATE of the listed relations; options bit 1 is CASCADE, bit 2 RESTART IDENTITY. */
    record Truncate(int streamXid, int options, int[] relationIds) implements PgOutputMessage {
        public static final int CASCADE = 1;
        public static final int RESTART_IDENTITY = 2;

        public Truncate {
            relationIds = relationIds.clone();
        }

        public boolean cascade() {
            return (options & CASCADE) != 0;
        }

        public boolean restartIdentity() {
            return (options & RESTART_IDENTITY) != 0;
        }

        @Override
        public int[] relationIds() {
            return relationIds.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Truncate t && t.streamXid == streamXid && t.options == options
                    && Arrays.equals(t.relationIds, relationIds);
        }

        @Override
        public int hashCode() {
            return Objects.hash(streamXid, options, Arrays.hashCode(relationIds));
        }

        @Override
        public String toString() {
            return "Truncate[streamXid=" + streamXid + ", options=" + options + ", relationIds="
                    + Arrays.toString(relationIds) + "]";
        }

        public Type type() {
            return Type.TRUNCATE;
        }
    }

    /** 'M': a message from {@code pg_logical_emit_message}; flags bit 1 means transactional. */
    record LogicalMessage(int streamXid, byte flags, long lsn, String prefix, byte[] content) implements PgOutputMessage {
        public LogicalMessage {
            Objects.requireNonNull(prefix, "prefix");
            content = content.clone();
        }

        public boolean transactional() {
            return (flags & 1) != 0;
        }

        @Override
        public byte[] content() {
            return content.clone();
        }

        public String contentText() {
            return new String(content, StandardCharsets.UTF_8);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof LogicalMessage m && m.streamXid == streamXid && m.flags == flags && m.lsn == lsn
                    && m.prefix.equals(prefix) && Arrays.equals(m.content, content);
        }

        @Override
        public int hashCode() {
            return Objects.hash(streamXid, flags, lsn, prefix, Arrays.hashCode(content));
        }

        @Override
        public String toString() {
            return "LogicalMessage[prefix=" + prefix + ", lsn=" + lsn + ", flags=" + flags + ", content="
                    + content.length + " bytes]";
        }

        public Type type() {
            return Type.MESSAGE;
        }
    }

    /** 'b': a prepared transaction begins (two_phase); {@code prepareLsn} is the LSN of its PREPARE record. */
    record BeginPrepare(long prepareLsn, long endLsn, long prepareTimestamp, int xid, String gid)
            implements PgOutputMessage {
        public BeginPrepare {
            Objects.requireNonNull(gid, "gid");
        }

        public Type type() {
            return Type.BEGIN_PREPARE;
        }
    }

    /** 'P': the transaction begun by the last Begin Prepare is prepared. */
    record Prepare(byte flags, long prepareLsn, long endLsn, long prepareTimestamp, int xid, String gid)
            implements PgOutputMessage {
        public Prepare {
            Objects.requireNonNull(gid, "gid");
        }

        public Type type() {
            return Type.PREPARE;
        }
    }

    /** 'K': COMMIT PREPARED. */
    record CommitPrepared(byte flags, long commitLsn, long endLsn, long commitTimestamp, int xid, String gid)
            implements PgOutputMessage {
        public CommitPrepared {
            Objects.requireNonNull(gid, "gid");
        }

        public Type type() {
            return Type.COMMIT_PREPARED;
        }
    }

    /** 'r': ROLLBACK PREPARED. */
    record RollbackPrepared(byte flags, long prepareEndLsn, long rollbackEndLsn, long prepareTimestamp,
                            long rollbackTimestamp, int xid, String gid) implements PgOutputMessage {
        public RollbackPrepared {
            Objects.requireNonNull(gid, "gid");
        }

        public Type type() {
            return Type.ROLLBACK_PREPARED;
        }
    }

    /** 'S': a block of a streamed (in-progress) transaction begins. */
    record StreamStart(int xid, boolean firstSegment) implements PgOutputMessage {
        public Type type() {
            return Type.STREAM_START;
        }
    }

    /** 'E': the current streamed block ends. */
    record StreamStop() implements PgOutputMessage {
        public Type type() {
            return Type.STREAM_STOP;
        }
    }

    /** 'c': a streamed transaction commits. */
    record StreamCommit(int xid, byte flags, long commitLsn, long endLsn, long commitTimestamp)
            implements PgOutputMessage {
        public Type type() {
            return Type.STREAM_COMMIT;
        }
    }

    /** 'A': a streamed (sub)transaction aborts; {@code subXid} equals {@code xid} for the top transaction. */
    record StreamAbort(int xid, int subXid) implements PgOutputMessage {
        public Type type() {
            return Type.STREAM_ABORT;
        }
    }

    /** 'p': a streamed transaction is prepared. */
    record StreamPrepare(byte flags, long prepareLsn, long endLsn, long prepareTimestamp, int xid, String gid)
            implements PgOutputMessage {
        public StreamPrepare {
            Objects.requireNonNull(gid, "gid");
        }

        public Type type() {
            return Type.STREAM_PREPARE;
        }
    }
}
