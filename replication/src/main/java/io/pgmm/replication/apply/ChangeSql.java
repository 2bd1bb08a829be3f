package io.pgmm.replication.apply;

import io.pgmm.replication.pgoutput.PgOutputMessage.Column;
import io.pgmm.replication.pgoutput.PgOutputMessage.Delete;
import io.pgmm.replication.pgoutput.PgOutputMessage.Insert;
import io.pgmm.replication.pgoutput.PgOutputMessage.Relation;
import io.pgmm.replication.pgoutput.PgOutputMessage.Update;
import io.pgmm.replication.pgoutput.TupleData;

import java.util.List;
import java.util.Set;

/**
 * Turns decoded changes into SQL with literals, for a session with {@code standard_conforming_strings = on}: a
 * literal is {@code '…'} with single quotes doubled (backslashes are plain characters), NULL is {@code NULL}, and
 * identifiers are always double-quoted. Literals are untyped, so PostgreSQL reads them with the column's input
 * function, exactly as it read the origin's text output. Rows are found by the relation's key columns (its
 * replica identity). Pure functions; no I/O.
 */
final class ChangeSql {

    private ChangeSql() {
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
    static String insert(Relation r, Insert insert, boolean overridingSystemValue) {
        TupleData row = insert.newTuple();
        checkWidth(r, row, "INSERT");
        StringBuilder cols = new StringBuilder();
        StringBuilder vals = new StringBuilder();
        for (int i = 0; i < row.size(); i++) {
            TupleData.Value v = row.get(i);
            if (v.kind() == TupleData.Kind.UNCHANGED_TOAST) {
                throw new ApplyException("XX000", "INSERT into " + r.namespace() + "." + r.name()
                        + " has an unchanged-TOAST column " + r.columns().get(i).name());
            }
            if (cols.length() > 0) {
                cols.append(", ");
                vals.append(", ");
            }
            cols.append(quoteIdent(r.columns().get(i).name()));
            appendValue(vals, v, r, i);
        }
        StringBuilder sql = new StringBuilder(32 + cols.length() + vals.length()).append("INSERT INTO ")
                .append(qualifiedName(r));
        if (row.size() == 0) {
            return sql.append(" DEFAULT VALUES").toString();
        }
        sql.append(" (").append(cols).append(')');
        if (overridingSystemValue) {
            sql.append(" OVERRIDING SYSTEM VALUE");
        }
        return sql.append(" VALUES (").append(vals).append(')').toString();
    }

    /**
     * UPDATE … SET every sent column … WHERE key: the key comes from the old tuple when pgoutput sent one (the key
     * changed, or replica identity full), else from the new tuple. Unchanged-TOAST columns stay out of SET, and so
     * do the key columns when the key did not change and the columns in {@code neverSet} (identity columns
     * GENERATED ALWAYS, which UPDATE may not set). Null when nothing is left to set (the row is only checked).
     */
    static String update(Relation r, Update update, Set<String> neverSet) {
        TupleData row = update.newTuple();
        checkWidth(r, row, "UPDATE");
        boolean keyFromOld = update.oldTuple() != null;
        StringBuilder set = new StringBuilder();
        for (int i = 0; i < row.size(); i++) {
            TupleData.Value v = row.get(i);
            Column c = r.columns().get(i);
            if (v.kind() == TupleData.Kind.UNCHANGED_TOAST || neverSet.contains(c.name()) || (c.key() && !keyFromOld)) {
                continue;
            }
            if (set.length() > 0) {
                set.append(", ");
            }
            set.append(quoteIdent(c.name())).append(" = ");
            appendValue(set, v, r, i);
        }
        TupleData keyRow = keyFromOld ? update.oldTuple() : row;
        if (keyFromOld) {
            checkWidth(r, keyRow, "UPDATE (old row)");
        }
        StringBuilder sql = new StringBuilder("UPDATE ").append(qualifiedName(r)).append(" SET ");
        if (set.length() == 0) {
            // nothing to change here (only unchanged or key values): still lock and count the row
            Column first = r.columns().get(firstKey(r));
            sql.append(quoteIdent(first.name())).append(" = ").append(quoteIdent(first.name()));
        } else {
            sql.append(set);
        }
        return where(sql, r, keyRow, "UPDATE").toString();
    }

    static String delete(Relation r, Delete delete) {
        checkWidth(r, delete.oldTuple(), "DELETE");
        return where(new StringBuilder("DELETE FROM ").append(qualifiedName(r)), r, delete.oldTuple(), "DELETE").toString();
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

    private static StringBuilder where(StringBuilder sql, Relation r, TupleData keyRow, String what) {
        firstKey(r);
        sql.append(" WHERE ");
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
            if (!first) {
                sql.append(" AND ");
            }
            first = false;
            sql.append(quoteIdent(c.name()));
            if (v.kind() == TupleData.Kind.NULL) {
                sql.append(" IS NULL");
            } else {
                sql.append(" = ");
                appendValue(sql, v, r, i);
            }
        }
        return sql;
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

    private static void appendValue(StringBuilder sql, TupleData.Value v, Relation r, int i) {
        switch (v.kind()) {
            case NULL -> sql.append("NULL");
            case TEXT -> sql.append(quoteLiteral(v.text()));
            case BINARY -> throw new ApplyException("XX000", "binary value for " + r.name() + "." + r.columns().get(i).name()
                    + ": pgmm decodes in text format only");
            case UNCHANGED_TOAST -> throw new IllegalStateException("unchanged TOAST value has no SQL");
        }
    }

    private static void checkWidth(Relation r, TupleData row, String what) {
        if (row.size() != r.columns().size()) {
            throw new ApplyException("XX000", what + " of " + r.namespace() + "." + r.name() + " has " + row.size()
                    + " values for " + r.columns().size() + " columns");
        }
    }
}
