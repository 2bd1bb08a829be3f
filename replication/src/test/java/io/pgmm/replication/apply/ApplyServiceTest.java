package io.pgmm.replication.apply;

import io.pgmm.replication.capture.CaptureListener;
import io.pgmm.replication.capture.ChangeCapture;
import io.pgmm.replication.capture.NodeSetup;
import io.pgmm.replication.capture.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Two real PostgreSQL servers: transactions prepared on A (node 1) are captured from A's slot and replayed on B
 * through the ApplyService, the way the commit coordinator will wire them (minus the network).
 */
class ApplyServiceTest {

    private static final Duration LOCK_TIMEOUT = Duration.ofMillis(500);
    private static final String SCHEMA = """
            CREATE TABLE kinds (id int PRIMARY KEY, txt text, b bytea, n numeric, j jsonb, arr int[], tarr text[],
                                ts timestamptz, f float8, nul text);
            CREATE TABLE ident (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v text);
            CREATE TABLE toast (id int PRIMARY KEY, big text, small int);
            ALTER TABLE toast ALTER big SET STORAGE EXTERNAL;
            CREATE TABLE comp (a int, b text, v text, PRIMARY KEY (a, b));
            CREATE TABLE trunc (id int PRIMARY KEY);
            CREATE TABLE conflict (id int PRIMARY KEY, v text);
            CREATE TABLE many (id int PRIMARY KEY, v text);
            """;

    private static TestPostgres a;
    private static TestPostgres b;
    private static ApplyService apply;
    private static ChangeCapture capture;
    private static final Map<String, CompletableFuture<Vote>> votes = new ConcurrentHashMap<>();
    private static final AtomicInteger seq = new AtomicInteger(1);

    /** CaptureListener → ApplyService: what the coordinator does on the peer, here without the network. */
    static final class Bridge implements CaptureListener {
        private RemoteTransaction current;

        public void beginPrepare(String gid, long prepareLsn) throws InterruptedException {
            current = apply.begin(gid);
        }

        public void change(String gid, byte[] raw) throws InterruptedException {
            current.append(raw);
        }

        public void prepared(String gid, long prepareLsn, long endLsn) {
            CompletableFuture<Vote> f = vote(gid);
            current.prepare().whenComplete((v, e) -> {
                if (e != null) {
                    f.completeExceptionally(e);
                } else {
                    f.complete(v);
                }
            });
            current = null;
        }

        public void commitPrepared(String gid, long endLsn) {
        }

        public void rollbackPrepared(String gid, long endLsn) {
        }

        public void localCommitWithoutGid(long xid, long commitLsn) {
        }
    }

    @BeforeAll
    static void start() throws Exception {
        a = TestPostgres.start();
        b = TestPostgres.start();
        for (TestPostgres pg : List.of(a, b)) {
            pg.exec(SCHEMA);
        }
        try (Connection c = a.connect()) {
            NodeSetup.ensure(c, 1);
        }
        try (Connection c = b.connect()) {
            NodeSetup.ensure(c, 2);
        }
        apply = new ApplyService(b.jdbcUrl(), b.props(), 4, 4, LOCK_TIMEOUT);
        capture = new ChangeCapture(a.jdbcUrl(), a.props(), 1, new Bridge(), Duration.ofMillis(200));
        capture.start();
    }

    @AfterAll
    static void stop() {
        if (capture != null) {
            capture.close();
        }
        if (apply != null) {
            apply.close();
        }
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
    }

    private static CompletableFuture<Vote> vote(String gid) {
        return votes.computeIfAbsent(gid, g -> new CompletableFuture<>());
    }

    private static String nextGid() {
        return "pgmm:1:0:" + seq.getAndIncrement();
    }

    /** Runs the statements on A in a transaction prepared with {@code gid}; returns B's vote. */
    private static Vote prepareOnA(String gid, String... sql) throws Exception {
        try (Connection c = a.connect(); Statement s = c.createStatement()) {
            s.execute("BEGIN");
            for (String q : sql) {
                s.execute(q);
            }
            s.execute("PREPARE TRANSACTION '" + gid + "'");
        }
        return vote(gid).get(30, TimeUnit.SECONDS);
    }

    private static void decideBoth(String gid, boolean commit) throws Exception {
        a.exec((commit ? "COMMIT" : "ROLLBACK") + " PREPARED '" + gid + "'");
        apply.decide(gid, commit).get(30, TimeUnit.SECONDS);
    }

    /** Prepares on A, expects Yes from B, commits on both. */
    private static void replicate(String... sql) throws Exception {
        String gid = nextGid();
        Vote v = prepareOnA(gid, sql);
        assertThat(v).isEqualTo(Vote.yes());
        assertThat(b.queryString("SELECT gid FROM pg_prepared_xacts WHERE gid = '" + gid + "'")).isEqualTo(gid);
        decideBoth(gid, true);
    }

    private static String digest(TestPostgres pg, String table, String order) throws Exception {
        return pg.queryString("SELECT count(*) || ':' || md5(coalesce(string_agg(t::text, ',' ORDER BY " + order
                + "), '')) FROM " + table + " t");
    }

    private static void assertSame(String table, String order) throws Exception {
        assertThat(digest(b, table, order)).isEqualTo(digest(a, table, order));
    }

    private static String preparedOnB() throws Exception {
        return b.queryString("SELECT coalesce(string_agg(gid, ','), '') FROM pg_prepared_xacts");
    }

    @Test
    void insertUpdateDeleteOfEveryKindOfValueLeaveBothTablesIdentical() throws Exception {
        replicate("INSERT INTO kinds VALUES (1, 'it''s a \"quote\" and a \\ backslash', '\\x00ff27', 12345.678901234567890123,"
                        + " '{\"a\": \"it''s\", \"b\": [1, 2.5, null]}', '{1,NULL,3}', '{\"a\\\"b\",\"c''d\",NULL}',"
                        + " '2024-02-29 12:34:56.789+05:30', 0.1, NULL)",
                "INSERT INTO kinds VALUES (2, '', '\\x', 'NaN', 'null', '{}', '{}', 'infinity', 'Infinity', NULL)",
                "INSERT INTO kinds (id) VALUES (3)",
                "INSERT INTO kinds VALUES (4, E'tab\\there\\nnewline ünïcødé ☃', '\\x5c', -0.000001, '[]', '{{1,2},{3,4}}',"
                        + " '{\"\"}', '1999-12-31 23:59:59+00', -1.5e-300, 'x')");
        assertSame("kinds", "id");
        replicate("UPDATE kinds SET txt = 'new ''one''', j = '{\"k\": \"\\\\\"}', nul = NULL WHERE id = 1",
                "UPDATE kinds SET b = NULL, arr = NULL WHERE id = 2", "DELETE FROM kinds WHERE id = 3",
                "UPDATE kinds SET id = 104 WHERE id = 4");
        assertSame("kinds", "id");
        assertThat(b.queryString("SELECT txt FROM kinds WHERE id = 1")).isEqualTo("new 'one'");
        assertThat(preparedOnB()).isEmpty();
    }

    @Test
    void identityColumnsTakeTheOriginsValues() throws Exception {
        replicate("INSERT INTO ident (v) VALUES ('a'), ('b')", "INSERT INTO ident (v) VALUES ('c')");
        replicate("UPDATE ident SET v = 'bb' WHERE v = 'b'", "DELETE FROM ident WHERE v = 'a'");
        assertSame("ident", "id");
        assertThat(b.queryString("SELECT string_agg(id || v, ',' ORDER BY id) FROM ident")).isEqualTo("2bb,3c");
    }

    @Test
    void unchangedToastValuesAreKept() throws Exception {
        replicate("INSERT INTO toast SELECT 1, string_agg(md5(i::text), '') , 0 FROM generate_series(1, 4000) i");
        replicate("UPDATE toast SET small = small + 1 WHERE id = 1");
        assertThat(b.queryString("SELECT length(big) || ':' || small FROM toast")).isEqualTo("128000:1");
        replicate("UPDATE toast SET id = 2 WHERE id = 1");
        assertSame("toast", "id");
    }

    @Test
    void compositeKeysIncludingAnUpdateOfTheKey() throws Exception {
        replicate("INSERT INTO comp VALUES (1, 'x', 'v1'), (1, 'y', 'v2'), (2, 'x', NULL)");
        replicate("UPDATE comp SET v = 'changed' WHERE a = 1 AND b = 'y'", "UPDATE comp SET b = 'z' WHERE a = 2",
                "DELETE FROM comp WHERE a = 1 AND b = 'x'");
        assertSame("comp", "a, b");
        assertThat(b.queryString("SELECT string_agg(a || b || coalesce(v, '-'), ',' ORDER BY a, b) FROM comp"))
                .isEqualTo("1ychanged,2z-");
    }

    @Test
    void truncateEmptiesTheTableOnThePeer() throws Exception {
        replicate("INSERT INTO trunc SELECT generate_series(1, 100)");
        assertSame("trunc", "id");
        replicate("TRUNCATE trunc", "INSERT INTO trunc VALUES (7)");
        assertSame("trunc", "id");
        assertThat(b.queryString("SELECT string_agg(id::text, ',') FROM trunc")).isEqualTo("7");
    }

    @Test
    void ddlMessageRunsInPlaceOnThePeer() throws Exception {
        String ddl = "CREATE TABLE created_by_ddl (id int PRIMARY KEY, v text)";
        String content = new String(new DdlMessage(ddl, "public", null).encode(), java.nio.charset.StandardCharsets.UTF_8);
        replicate("INSERT INTO many VALUES (-3, 'before ddl')",
                "SELECT pg_logical_emit_message(true, 'pgmm.ddl', " + ChangeSql.quoteLiteral(content) + ")", ddl,
                "INSERT INTO created_by_ddl VALUES (1, 'after ddl')");
        // Later transactions use what the replay prepared after the DDL (seen: the worker that had run the DDL
        // dropped those statements at its next transaction's start, and that replay failed with 26000).
        for (int i = 2; i <= 9; i++) {
            replicate("INSERT INTO created_by_ddl VALUES (" + i + ", 'later')");
        }
        assertSame("created_by_ddl", "id");
    }

    @Test
    void rollbackDecisionLeavesNothingBehind() throws Exception {
        String before = digest(b, "many", "id");
        String gid = nextGid();
        assertThat(prepareOnA(gid, "INSERT INTO many VALUES (-1, 'rolled back')")).isEqualTo(Vote.yes());
        assertThat(preparedOnB()).contains(gid);
        decideBoth(gid, false);
        assertThat(preparedOnB()).doesNotContain(gid);
        assertThat(digest(b, "many", "id")).isEqualTo(before);
        apply.decide(gid, false).get(10, TimeUnit.SECONDS); // idempotent
        assertThatThrownBy(() -> apply.decide(gid, true).get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).hasMessageContaining("neither prepared nor committed");
    }

    @Test
    void commitDecisionIsIdempotent() throws Exception {
        String gid = nextGid();
        assertThat(prepareOnA(gid, "INSERT INTO many VALUES (-2, 'x')")).isEqualTo(Vote.yes());
        decideBoth(gid, true);
        apply.decide(gid, true).get(10, TimeUnit.SECONDS);
        assertThat(b.queryString("SELECT count(*) FROM pgmm.applied_xacts WHERE gid = '" + gid + "'")).isEqualTo("1");
    }

    @Test
    void applyErrorVotesNoWithItsSqlStateAndLeavesNothingPrepared() throws Exception {
        b.exec("INSERT INTO conflict VALUES (500, 'only on b')");
        try {
            String gid = nextGid();
            Vote v = prepareOnA(gid, "INSERT INTO conflict VALUES (499, 'fine')", "INSERT INTO conflict VALUES (500, 'dup')");
            assertThat(v.accepted()).isFalse();
            assertThat(v.sqlState()).isEqualTo("23505");
            assertThat(v.message()).contains("duplicate key");
            assertThat(preparedOnB()).doesNotContain(gid);
            assertThat(b.queryString("SELECT count(*) FROM conflict WHERE id = 499")).isEqualTo("0");
            a.exec("ROLLBACK PREPARED '" + gid + "'");
        } finally {
            b.exec("DELETE FROM conflict WHERE id = 500");
        }
    }

    @Test
    void missingRowVotesNoBecauseNodesDiverged() throws Exception {
        a.exec("INSERT INTO conflict VALUES (600, 'only on a')"); // bypasses replication
        String gid = nextGid();
        Vote v = prepareOnA(gid, "UPDATE conflict SET v = 'x' WHERE id = 600");
        assertThat(v.sqlState()).isEqualTo("XX000");
        assertThat(v.message()).contains("row not found on node: nodes may have diverged");
        assertThat(preparedOnB()).doesNotContain(gid);
        a.exec("ROLLBACK PREPARED '" + gid + "'", "DELETE FROM conflict WHERE id = 600");
    }

    @Test
    void aRowThatArrivesWhileTheReplayWaitsIsUpdatedAndTheFirstPrepareLeavesNothing() throws Exception {
        // The replay goes out with its PREPARE in one round trip; the UPDATE matched no row, so that PREPARE
        // is undone and the transaction replayed again, this time waiting for the row (which an earlier
        // transaction's commit brings here meanwhile).
        AtomicInteger waits = new AtomicInteger();
        MissingRowHandler rowArrives = gid -> {
            waits.incrementAndGet();
            try {
                b.exec("INSERT INTO conflict VALUES (650, 'arrived')");
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException(e);
            }
            return true;
        };
        String gid = "pgmm:9:0:2";
        try (ApplyService waiting = new ApplyService(b.jdbcUrl(), b.props(), 1, 1, LOCK_TIMEOUT, 1, rowArrives, 1 << 20)) {
            RemoteTransaction tx = waiting.begin(gid);
            tx.append(relationMessageOf("conflict"));
            tx.append(updateMessage(650, "updated"));
            assertThat(tx.prepare().get(30, TimeUnit.SECONDS)).isEqualTo(Vote.yes());
            assertThat(waits).hasValue(1);
            assertThat(preparedOnB()).isEqualTo(gid);
            waiting.decide(gid, true).get(10, TimeUnit.SECONDS);
        }
        assertThat(b.queryString("SELECT v FROM conflict WHERE id = 650")).isEqualTo("updated");
        assertThat(b.queryString("SELECT count(*) FROM pgmm.applied_xacts WHERE gid = '" + gid + "'")).isEqualTo("1");
        b.exec("DELETE FROM conflict WHERE id = 650");
    }

    @Test
    void rowLockedOnThePeerVotesNoWith40001AfterTheLockTimeout() throws Exception {
        replicate("INSERT INTO conflict VALUES (700, 'v')");
        try (Connection locker = b.connect(); Statement s = locker.createStatement()) {
            s.execute("BEGIN");
            s.execute("SELECT * FROM conflict WHERE id = 700 FOR UPDATE");
            String gid = nextGid();
            long start = System.nanoTime();
            Vote v = prepareOnA(gid, "UPDATE conflict SET v = 'w' WHERE id = 700");
            long waitedMillis = (System.nanoTime() - start) / 1_000_000;
            assertThat(v.sqlState()).isEqualTo("40001");
            assertThat(v.message()).contains("lock conflict").contains(gid);
            assertThat(waitedMillis).isGreaterThanOrEqualTo(LOCK_TIMEOUT.toMillis());
            assertThat(preparedOnB()).doesNotContain(gid);
            a.exec("ROLLBACK PREPARED '" + gid + "'");
            s.execute("ROLLBACK");
        }
        assertSame("conflict", "id");
    }

    @Test
    void abortOfATransactionWaitingForALockRollsItBack() throws Exception {
        replicate("INSERT INTO conflict VALUES (800, 'v')");
        try (Connection locker = b.connect(); Statement s = locker.createStatement()) {
            s.execute("BEGIN");
            s.execute("SELECT * FROM conflict WHERE id = 800 FOR UPDATE");
            RemoteTransaction tx = apply.begin("pgmm:9:0:1");
            tx.append(relationMessageOf("conflict"));
            tx.append(updateMessage(800, "aborted"));
            CompletableFuture<Vote> vote = tx.prepare();
            Thread.sleep(100);
            tx.abort().get(10, TimeUnit.SECONDS);
            assertThat(vote.get(10, TimeUnit.SECONDS).accepted()).isFalse();
            assertThat(preparedOnB()).doesNotContain("pgmm:9:0:1");
            s.execute("ROLLBACK");
        }
        assertThat(b.queryString("SELECT v FROM conflict WHERE id = 800")).isEqualTo("v");
    }

    @Test
    void twentyConcurrentTransactionsThroughFourWorkers() throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(20);
        try {
            List<Future<Vote>> results = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                int base = 10_000 + i * 100;
                String gid = nextGid();
                results.add(clients.submit(() -> prepareOnA(gid,
                        "INSERT INTO many SELECT g, 'row ' || g FROM generate_series(" + base + ", " + (base + 49) + ") g",
                        "UPDATE many SET v = v || '!' WHERE id = " + base)));
            }
            List<String> gids = new ArrayList<>();
            for (Future<Vote> r : results) {
                assertThat(r.get(60, TimeUnit.SECONDS)).isEqualTo(Vote.yes());
            }
            try (Connection c = a.connect(); Statement s = c.createStatement();
                 var rs = s.executeQuery("SELECT gid FROM pg_prepared_xacts")) {
                while (rs.next()) {
                    gids.add(rs.getString(1));
                }
            }
            assertThat(gids).hasSize(20);
            for (String gid : gids) {
                decideBoth(gid, true);
            }
        } finally {
            clients.shutdownNow();
        }
        assertSame("many", "id");
        assertThat(preparedOnB()).isEmpty();
    }

    // hand-built pgoutput messages for transactions that do not come from A
    private static byte[] relationMessageOf(String table) {
        return io.pgmm.replication.pgoutput.PgOutputBytes.of('R').i32(42).str("public").str(table).u8('d').i16(2)
                .u8(1).str("id").i32(23).i32(-1).u8(0).str("v").i32(25).i32(-1).bytes();
    }

    private static byte[] updateMessage(int id, String v) {
        return io.pgmm.replication.pgoutput.PgOutputBytes.of('U').i32(42).u8('N').tuple(String.valueOf(id), v).bytes();
    }
}
