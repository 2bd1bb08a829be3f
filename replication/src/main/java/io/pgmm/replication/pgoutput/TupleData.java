package io.pgmm.replication.pgoutput;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;

/**
 * The column values of one row in an Insert, Update or Delete message: one {@link Value} per column of the
 * relation, in the order of the relation's Relation message.
 */
public record TupleData(List<Value> values) {

    public TupleData {
        values = List.copyOf(Objects.requireNonNull(values, "values"));
    }

    public int size() {
        return values.size();
    }

    public Value get(int index) {
        return values.get(index);
    }

    /** How a column value travels: the byte pgoutput writes before it. */
    public enum Kind {
        /** 'n': SQL NULL. */
        NULL('n'),
        /** 'u': an unchanged TOASTed value that was not sent; leave the column as it is. */
        UNCHANGED_TOAST('u'),
        /** 't': the type's text output. */
        TEXT('t'),
        /** 'b': the type's binary send format (only with the {@code binary} option, which pgmm does not use). */
        BINARY('b');

        private final char code;

        Kind(char code) {
            this.code = code;
        }

        public char code() {
            return code;
        }

        static Kind of(byte code) {
            return switch (code) {
                case 'n' -> NULL;
                case 'u' -> UNCHANGED_TOAST;
                case 't' -> TEXT;
                case 'b' -> BINARY;
                default -> null;
            };
        }
    }

    /** One column value; {@code bytes} is null for NULL and UNCHANGED_TOAST. */
    public record Value(Kind kind, byte[] bytes) {

        public static final Value NULL = new Value(Kind.NULL, null);
        public static final Value UNCHANGED_TOAST = new Value(Kind.UNCHANGED_TOAST, null);

        public Value {
            Objects.requireNonNull(kind, "kind");
            if ((kind == Kind.TEXT || kind == Kind.BINARY) != (bytes != null)) {
                throw new MalformedMessageException(kind + " value " + (bytes == null ? "needs" : "takes no") + " bytes");
            }
        }

        public static Value text(String text) {
            return new Value(Kind.TEXT, text.getBytes(StandardCharsets.UTF_8));
        }

        /** The text of a TEXT value (PostgreSQL sends it in the database encoding; pgmm requires UTF8). */
        public String text() {
            if (kind != Kind.TEXT) {
                throw new IllegalStateException("a " + kind + " value has no text");
            }
            return new String(bytes, StandardCharsets.UTF_8);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Value v && v.kind == kind && java.util.Arrays.equals(v.bytes, bytes);
        }

        @Override
        public int hashCode() {
            return kind.hashCode() * 31 + java.util.Arrays.hashCode(bytes);
        }

        @Override
        public String toString() {
            return switch (kind) {
                case NULL -> "null";
                case UNCHANGED_TOAST -> "<unchanged toast>";
                case TEXT -> "'" + text() + "'";
                case BINARY -> "<" + bytes.length + " bytes>";
            };
        }
    }
}
