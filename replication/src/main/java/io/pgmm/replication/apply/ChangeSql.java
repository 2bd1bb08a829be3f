package io.pgmm.replication.apply;

import io.pgmm.replication.pgoutput.PgOutputMessage.Column;
import io.pgmm.replication.pgoutput.PgOutputMessage.Delete;
import io.pgmm.replication.pgoutput.PgOutputMessage.Insert;
import io.pgmm.replication.pgoutput.PgOutputMessage.Relation;
import io.pgmm.replication.pgoutput.PgOutputMessage.Update;
import io.pgmm.replication.pgoutput.TupleData;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;

/**
 * Turns decoded changes into SQL, for a session with {@code standard_conforming_strings = on}: each change is a
 * {@link Change}, a statement with parameters {@code $1…} plus the values, so that an apply worker can prepare a
 * statement once per shape and only {@code EXECUTE} it per row (parsing and planning every row's own statement
 * was the larger part of an apply's CPU). A literal is {@code '…'} with single quotes doubled (backslashes are
 * plain characters), NULL is {@code NULL}, and identifiers are always double-quoted. Literals are untyped, so
 * PostgreSQL reads them with the column's input function, exactly as it read the origin's text output. Rows are
 * found by the relation's key columns (its replica identity). Pure functions; no I/O.
 */
final class ChangeSql {

    private ChangeSql() {
    }

    /**
     * One change as a statement with parameters: {@code template} uses {@code $1…$n} for {@code values} (null for
     * SQL NULL); {@code literal} is the same statement with the values written in, for messages and for sessions
     * that do not prepare.
     */
    record Change(String template, List<String> values, String literal) {

        /** {@code EXECUTE name(values…)} of a statement prepared from {@link #template}. */
        String execute(String name) {
            StringBuilder sql = new StringBuilder(16 + name.length() + literal.length()).append("EXECUTE ").append(name);
            if (!values.isEmpty()) {
                sql.append('(');
                for (int i = 0; i < values.size(); i++) {
                    String v = values.get(i);
                    sql.append(i > 0 ? ", " : "").append(v == null ? "NULL" : quoteLiteral(v));
                }
                sql.append(')');
            }
            return sql.toString();
        }
    }

    /** Builds a template and its literal twin side by side. */
    private static final class Builder {
        final StringBuilder template = new StringBuilder(64);
        final StringBuilder literal = new StringBuilder(64);
        final List<String> values = new ArrayList<>();

        Builder sql(CharSequence text) {
            template.append(text);
            literal.append(text);
            return this;
        }

        Builder value(TupleData.Value v, Relation r, int i) {
            switch (v.kind()) {
                case NULL -> values.add(null);
                case TEXT -> values.add(v.text());
                case BINARY -> throw new ApplyException("XX000", "binary value for " + r.name() + "."
                        + r.columns().get(i).name() + ": pgmm decodes in text format only");
                case UNCHANGED_TOAST -> throw new IllegalStateException("unchanged TOAST value has no SQL");
            }
            template.append('$').append(values.size());
            literal.append(v.kind() == TupleData.Kind.NULL ? "NULL" : quoteLiteral(v.text()));
            return this;
        }

        Change build() {
            // not List.copyOf: a value may be null (SQL NULL)
            return new Change(template.toString(), Collections.unmodifiableList(values), literal.toString());
        }
    }

    /** Records that this node replayed {@code gid} (see NodeSetup): the row commits or rolls back with the replay. */
    static Change appliedMark(String gid) {
        return new Change("INSERT INTO pgmm.applied_xacts (gid) VALUES ($1)", List.of(gid),
                "INSERT INTO pgmm.applied_xacts (gid) VALUES (" + quoteLiteral(gid) + ")");
    }

    static String quoteIdent(String name) {
        return '"' + name.replace("\"", "\"\"") + '"';
    }

    static String quoteLiteral(String value) {
        if (value.indexOf('\0') >= 0) {
            throw new ApplyException("22021", "a text value contains a zero byte");
        }
        return '\'' + value.replace("'", "''") + '\'';
    }

    static String qualifiedName(Relation r) {
        return quoteIdent(r.namespace()) + '.' + quoteIdent(r.name());
    }

    /** INSERT with every column; OVERRIDING SYSTEM VALUE so identity columns take the origin's values. */
    static Change insert(Relation r, Insert insert, boolean overridingSystemValue) {
        TupleData row = insert.newTuple();
        checkWidth(r, row, "INSERT");
        Builder b = new Builder().sql("INSERT INTO ").sql(qualifiedName(r));
        if (row.size() == 0) {
            return b.sql(" DEFAULT VALUES").build();
        }
        b.sql(" (");
        for (int i = 0; i < row.size(); i++) {
            if (row.get(i).kind() == TupleData.Kind.UNCHANGED_TOAST) {
                throw new ApplyException("XX000", "INSERT into " + r.namespace() + "." + r.name()
                        + " has an unchanged-TOAST column " + r.columns().get(i).name());
            }
            b.sql(i > 0 ? ", " : "").sql(quoteIdent(r.columns().get(i).name()));
        }
        b.sql(")");
        if (overridingSystemValue) {
            b.sql(" OVERRIDING SYSTEM VALUE");
        }
        b.sql(" VALUES (");
        for (int i = 0; i < row.size(); i++) {
            b.sql(i > 0 ? ", " : "").value(row.get(i), r, i);
        }
        return b.sql(")").build();
    }

    /**
     * UPDATE … SET every sent column … WHERE key: the key comes from the old tuple when pgoutput sent one (the key
     * changed, or replica identity full), else from the new tuple. Unchanged-TOAST columns stay out of SET, and so
     * do the key columns when the key did not change and the columns in {@code neverSet} (identity columns
     * GENERATED ALWAYS, which UPDATE may not set). Null when nothing is left to set (the row is only checked).
     */
    static Change update(Relation r, Update update, Set<String> neverSet) {
        TupleData row = update.newTuple();
        checkWidth(r, row, "UPDATE");
        boolean keyFromOld = update.oldTuple() != null;
        TupleData keyRow = keyFromOld ? update.oldTuple() : row;
        if (keyFromOld) {
            checkWidth(r, keyRow, "UPDATE (old row)");
        }
        Builder b = new Builder().sql("UPDATE ").sql(qualifiedName(r)).sql(" SET ");
        boolean any = false;
        for (int i = 0; i < row.size(); i++) {
            TupleData.Value v = row.get(i);
            Column c = r.columns().get(i);
            if (v.kind() == TupleData.Kind.UNCHANGED_TOAST || neverSet.contains(c.name()) || (c.key() && !keyFromOld)) {
                continue;
            }
            b.sql(any ? ", " : "").sql(quoteIdent(c.name())).sql(" = ").value(v, r, i);
            any = true;
        }
        if (!any) {
            // nothing to change here (only unchanged or key values): still lock and count the row
            String first = quoteIdent(r.columns().get(firstKey(r)).name());
            b.sql(first).sql(" = ").sql(first);
        }
        return where(b, r, keyRow, "UPDATE").build();
    }

    static Change delete(Relation r, Delete delete) {
        checkWidth(r, delete.oldTuple(), "DELETE");
        return where(new Builder().sql("DELETE FROM ").sql(qualifiedName(r)), r, delete.oldTuple(), "DELETE").build();
    }

    static String truncate(List<Relation> relations, boolean cascade, boolean restartIdentity) {
        StringBuilder sql = new StringBuilder("TRUNCATE ONLY ");
        for (int i = 0; i < relations.size(); i++) {
            sql.append(i > 0 ? ", " : "").append(qualifiedName(relations.get(i)));
        }
        if (restartIdentity) {
            sql.append(" RESTART IDENTITY");
        }
        if (cascade) {
            sql.append(" CASCADE");
        }
        return sql.toString();
    }

    private static Builder where(Builder b, Relation r, TupleData keyRow, String what) {
        firstKey(r);
        b.sql(" WHERE ");
        boolean first = true;
        for (int i = 0; i < r.columns().size(); i++) {
            Column c = r.columns().get(i);
            if (!c.key()) {
                continue;
            }
            TupleData.Value v = keyRow.get(i);
            if (v.kind() == TupleData.Kind.UNCHANGED_TOAST) {
                throw new ApplyException("XX000", what + " of " + r.namespace() + "." + r.name() + ": key column "
                        + c.name() + " was not sent (unchanged TOAST); cannot find the row");
            }
            b.sql(first ? "" : " AND ").sql(quoteIdent(c.name()));
            first = false;
            if (v.kind() == TupleData.Kind.NULL) {
                b.sql(" IS NULL");
            } else {
                b.sql(" = ").value(v, r, i);
            }
        }
        return b;
    }

    private static int firstKey(Relation r) {
        for (int i = 0; i < r.columns().size(); i++) {
            if (r.columns().get(i).key()) {
                return i;
            }
        }
        throw new ApplyException("55000", "table " + r.namespace() + "." + r.name()
                + " has no replica identity (no primary key): its rows cannot be found on peers");
    }

    private static void checkWidth(Relation r, TupleData row, String what) {
        if (row.size() != r.columns().size()) {
            throw new ApplyException("XX000", what + " of " + r.namespace() + "." + r.name() + " has " + row.size()
                    + " values for " + r.columns().size() + " columns");
        }
    }
}
