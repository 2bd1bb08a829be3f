package io.pgmm.replication.apply;

import io.pgmm.replication.pgoutput.PgOutputMessage.Column;
import io.pgmm.replication.pgoutput.PgOutputMessage.Delete;
import io.pgmm.replication.pgoutput.PgOutputMessage.Insert;
import io.pgmm.replication.pgoutput.PgOutputMessage.Relation;
import io.pgmm.replication.pgoutput.PgOutputMessage.Update;
import io.pgmm.replication.pgoutput.TupleData;
import io.pgmm.replication.pgoutput.TupleData.Value;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ChangeSqlTest {

    private static final Relation T = new Relation(0, 1, "my schema", "Tab\"le", 'd', List.of(
            new Column(true, "id", 23, -1), new Column(false, "v", 25, -1), new Column(false, "big", 25, -1)));

    private static TupleData row(Value... values) {
        return new TupleData(Arrays.asList(values));
    }

    @Test
    void insertQuotesIdentifiersAndLiteralsAndOverridesIdentity() {
        ChangeSql.Change change = ChangeSql.insert(T, new Insert(0, 1, row(Value.text("1"), Value.text("it's \\n"), Value.NULL)), true);
        String sql = change.literal();
        assertThat(sql).isEqualTo("INSERT INTO \"my schema\".\"Tab\"\"le\" (\"id\", \"v\", \"big\") OVERRIDING SYSTEM VALUE"
                + " VALUES ('1', 'it''s \\n', NULL)");
        assertThat(change.template()).isEqualTo("INSERT INTO \"my schema\".\"Tab\"\"le\" (\"id\", \"v\", \"big\")"
                + " OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3)");
        assertThat(change.execute("p1")).isEqualTo("EXECUTE p1('1', 'it''s \\n', NULL)");
    }

    @Test
    void updateLeavesUnchangedToastAndTheUnchangedKeyOutOfSet() {
        String sql = ChangeSql.update(T, new Update(0, 1, (char) 0, null,
                row(Value.text("1"), Value.text("x"), Value.UNCHANGED_TOAST)), Set.of()).literal();
        assertThat(sql).isEqualTo("UPDATE \"my schema\".\"Tab\"\"le\" SET \"v\" = 'x' WHERE \"id\" = '1'");
    }

    @Test
    void updateOfTheKeyFindsTheRowByTheOldKey() {
        String sql = ChangeSql.update(T, new Update(0, 1, 'K', row(Value.text("1"), Value.NULL, Value.NULL),
                row(Value.text("2"), Value.text("x"), Value.UNCHANGED_TOAST)), Set.of()).literal();
        assertThat(sql).isEqualTo("UPDATE \"my schema\".\"Tab\"\"le\" SET \"id\" = '2', \"v\" = 'x' WHERE \"id\" = '1'");
    }

    @Test
    void updateNeverSetsIdentityAlwaysColumnsAndKeepsAValidStatementWhenNothingIsLeft() {
        String sql = ChangeSql.update(T, new Update(0, 1, (char) 0, null,
                row(Value.text("1"), Value.text("x"), Value.UNCHANGED_TOAST)), Set.of("v")).literal();
        assertThat(sql).isEqualTo("UPDATE \"my schema\".\"Tab\"\"le\" SET \"id\" = \"id\" WHERE \"id\" = '1'");
    }

    @Test
    void deleteByKeyWithNullKeysAsIsNull() {
        Relation full = new Relation(0, 1, "s", "t", 'f', List.of(new Column(true, "a", 23, -1), new Column(true, "b", 25, -1)));
        ChangeSql.Change delete = ChangeSql.delete(full, new Delete(0, 1, 'O', row(Value.text("1"), Value.NULL)));
        assertThat(delete.template()).isEqualTo("DELETE FROM \"s\".\"t\" WHERE \"a\" = $1 AND \"b\" IS NULL");
        assertThat(delete.literal()).isEqualTo("DELETE FROM \"s\".\"t\" WHERE \"a\" = '1' AND \"b\" IS NULL");
    }

    @Test
    void tableWithoutKeyOrWrongWidthIsRefusedClearly() {
        Relation none = new Relation(0, 1, "s", "t", 'n', List.of(new Column(false, "a", 23, -1)));
        assertThatThrownBy(() -> ChangeSql.delete(none, new Delete(0, 1, 'K', row(Value.text("1")))))
                .isInstanceOf(ApplyException.class).hasMessageContaining("no replica identity");
        assertThatThrownBy(() -> ChangeSql.insert(T, new Insert(0, 1, row(Value.text("1"))), true))
                .hasMessageContaining("has 1 values for 3 columns");
    }

    @Test
    void truncateListsEveryRelationWithItsOptions() {
        assertThat(ChangeSql.truncate(List.of(T), true, true))
                .isEqualTo("TRUNCATE ONLY \"my schema\".\"Tab\"\"le\" RESTART IDENTITY CASCADE");
    }

    @Test
    void ddlMessageRoundTripsAndBareSqlIsAccepted() {
        DdlMessage m = new DdlMessage("CREATE TABLE x ()", "\"$user\", public", "alice");
        assertThat(DdlMessage.parse(m.encode())).isEqualTo(m);
        assertThat(DdlMessage.parse("DROP TABLE x".getBytes())).isEqualTo(new DdlMessage("DROP TABLE x", null, null));
        assertThatThrownBy(() -> DdlMessage.parse("pgmm-ddl/1\nwho: me\n\nX".getBytes()))
                .hasMessageContaining("unknown header line");
    }
}
