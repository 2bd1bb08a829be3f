package io.pgmm.replication.capture;

import io.pgmm.replication.apply.AppliedGidPruner;
import io.pgmm.replication.pgoutput.PgOutputDecoder;
import io.pgmm.replication.pgoutput.PgOutputMessage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class ChangeCaptureTest {

    private static TestPostgres pg;
    private static final AtomicInteger nextNode = new AtomicInteger(1);

    @BeforeAll
    static void startPostgres() throws Exception {
        pg = TestPostgres.start();
        pg.exec("CREATE TABLE t (id int PRIMARY KEY, v text)", "CREATE TABLE u (id int PRIMARY KEY, v text)",
                "CREATE TABLE big (id int PRIMARY KEY, v text)");
    }

    @AfterAll
    static void stopPostgres() {
        if (pg != null) {
            pg.close();
        }
    }

    /** Records every call as a short line, e.g. "change pgmm:1:0:1 I u". */
    static class Recorder implements CaptureListener {
        final List<String> events = new CopyOnWriteArrayList<>();

        public void beginPrepare(String gid, long prepareLsn) {
            events.add("begin " + gid);
        }

        public void change(String gid, byte[] raw) {
            PgOutputMessage m = PgOutputDecoder.decode(raw);
            String what;
            if (m instanceof PgOutputMessage.Relation r) {
                what = "R " + r.name();
            } else if (m instanceof PgOutputMessage.Insert i) {
                what = "I " + i.newTuple().get(0).text();
            } else if (m instanceof PgOutputMessage.Update u) {
                what = "U " + u.newTuple().get(0).text();
            } else if (m instanceof PgOutputMessage.Delete d) {
                what = "D " + d.oldTuple().get(0).text();
            } else if (m instanceof PgOutputMessage.Truncate t) {
                what = "T " + t.relationIds().length;
            } else if (m instanceof PgOutputMessage.LogicalMessage l) {
                what = "M " + l.prefix() + " " + l.contentText();
            } else {
                what = "? " + m;
            }
            events.add("change " + gid + " " + what);
        }

        public void prepared(String gid, long prepareLsn, long endLsn) {
            events.add("prepared " + gid);
        }

        public void commitPrepared(String gid, long endLsn) {
            events.add("commit " + gid);
        }

        public void rollbackPrepared(String gid, long endLsn) {
            events.add("rollback " + gid);
        }

        public void localCommitWithoutGid(long xid, long commitLsn) {
            events.add("local");
        }

        public void foreignPrepare(String gid, long xid, long prepareLsn) {
            events.add("foreign " + gid);
        }
    }

    /** Hands beginPrepare on to {@code rec} after failing the first {@code failures} calls; counts restarts. */
    static final class RestartCounter extends Recorder {
        final Recorder rec;
        final AtomicInteger failuresLeft;
        final AtomicInteger restarts = new AtomicInteger();

        RestartCounter(Recorder rec, int failures) {
            this.rec = rec;
            this.failuresLeft = new AtomicInteger(failures);
        }

        @Override
        public void beginPrepare(String gid, long lsn) {
            if (failuresLeft.getAndDecrement() > 0) {
                throw new IllegalArgumentException("a listener's bug, not the slot's");
            }
            rec.beginPrepare(gid, lsn);
        }

        @Override
        public void streamRestarted() {
            restarts.incrementAndGet();
        }
    }

    private static ChangeCapture capture(int node, CaptureListener listener) throws Exception {
        try (Connection c = pg.connect()) {
            NodeSetup.ensure(c, node);
            NodeSetup.ensure(c, node); // idempotent
        }
        ChangeCapture capture = new ChangeCapture(pg.jdbcUrl(), pg.props(), node, listener, Duration.ofMillis(200));
        capture.start();
        return capture;
    }

    private static void dropSlot(int node) throws Exception {
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().untilAsserted(() ->
                pg.exec("SELECT pg_drop_replication_slot('" + NodeSetup.slotName(node) + "')"));
    }

    private static void prepared(String gid, String... sql) throws Exception {
        try (Connection c = pg.connect(); Statement s = c.createStatement()) {
            s.execute("BEGIN");
            for (String q : sql) {
                s.execute(q);
            }
            s.execute("PREPARE TRANSACTION '" + gid + "'");
        }
    }

    @Test
    void ownPreparedTransactionArrivesAsBeginRelationChangesPreparedThenCommit() throws Exception {
        int node = nextNode.getAndIncrement();
        Recorder rec = new Recorder();
        String gid = "pgmm:" + node + ":0:1";
        try (ChangeCapture capture = capture(node, rec)) {
            prepared(gid, "INSERT INTO t VALUES (1, 'a')", "UPDATE t SET v = 'b' WHERE id = 1",
                    "INSERT INTO u VALUES (7, 'x')", "DELETE FROM t WHERE id = 1");
            await().atMost(Duration.ofSeconds(20)).until(() -> rec.events.contains("prepared " + gid));
            pg.exec("COMMIT PREPARED '" + gid + "'");
            await().atMost(Duration.ofSeconds(20)).until(() -> rec.events.contains("commit " + gid));
            assertThat(rec.events).containsExactly("begin " + gid, "change " + gid + " R t", "change " + gid + " I 1",
                    "change " + gid + " U 1", "change " + gid + " R u", "change " + gid + " I 7",
                    "change " + gid + " D 1", "prepared " + gid, "commit " + gid);
        } finally {
            dropSlot(node);
        }
    }

    @Test
    void everyDeliveredTransactionCarriesItsRelationMessagesAgain() throws Exception {
        int node = nextNode.getAndIncrement();
        Recorder rec = new Recorder();
        String g1 = "pgmm:" + node + ":0:1";
        String g2 = "pgmm:" + node + ":0:2";
        try (ChangeCapture capture = capture(node, rec)) {
            prepared(g1, "INSERT INTO t VALUES (10, 'a')");
            pg.exec("COMMIT PREPARED '" + g1 + "'");
            prepared(g2, "UPDATE t SET v = 'c' WHERE id = 10", "SELECT pg_logical_emit_message(true, 'pgmm.ddl', 'ALTER TABLE x')",
                    "TRUNCATE u");
            await().atMost(Duration.ofSeconds(20)).until(() -> rec.events.contains("prepared " + g2));
            pg.exec("ROLLBACK PREPARED '" + g2 + "'");
            await().atMost(Duration.ofSeconds(20)).until(() -> rec.events.contains("rollback " + g2));
            assertThat(rec.events).containsExactly("begin " + g1, "change " + g1 + " R t", "change " + g1 + " I 10",
                    "prepared " + g1, "commit " + g1, "begin " + g2, "change " + g2 + " R t", "change " + g2 + " U 10",
                    "change " + g2 + " M pgmm.ddl ALTER TABLE x", "change " + g2 + " R u", "change " + g2 + " T 1",
                    "prepared " + g2, "rollback " + g2);
        } finally {
            dropSlot(node);
        }
    }

    @Test
    void peersTransactionsAreSkippedAndWritesWithoutGidRaiseTheAlarm() throws Exception {
        int node = nextNode.getAndIncrement();
        Recorder rec = new Recorder();
        String peer = "pgmm:" + (node + 100) + ":0:1";
        String own = "pgmm:" + node + ":0:5";
        try (ChangeCapture capture = capture(node, rec)) {
            prepared(peer, "INSERT INTO t VALUES (20, 'peer')");
            pg.exec("COMMIT PREPARED '" + peer + "'");
            prepared("somebody-else", "INSERT INTO t VALUES (22, 'foreign')");
            pg.exec("COMMIT PREPARED 'somebody-else'");
            pg.exec("INSERT INTO t VALUES (21, 'direct')");
            pg.exec("CREATE TABLE IF NOT EXISTS ddl_only (id int)"); // no change decoded: no alarm
            // pgmm's own bookkeeping, written and pruned in local transactions: no alarm either
            pg.exec("INSERT INTO pgmm.applied_xacts (gid, applied_at) VALUES ('pgmm:99:0:" + node + "', now() - interval '2 hours')");
            assertThat(new AppliedGidPruner(pg.jdbcUrl(), pg.props(), Duration.ofHours(1), Duration.ofMinutes(5))
                    .pruneNow()).isEqualTo(1);
            prepared(own, "DELETE FROM t WHERE id = 20", "DELETE FROM t WHERE id = 21", "DELETE FROM t WHERE id = 22");
            pg.exec("COMMIT PREPARED '" + own + "'");
            await().atMost(Duration.ofSeconds(20)).until(() -> rec.events.contains("commit " + own));
            assertThat(rec.events).containsExactly("foreign somebody-else", "local", "begin " + own,
                    "change " + own + " R t", "change " + own + " D 20", "change " + own + " D 21",
                    "change " + own + " D 22", "prepared " + own, "commit " + own);
        } finally {
            dropSlot(node);
        }
    }

    @Test
    void confirmAdvancesTheSlotButSafeLsnStaysBeforeUndecidedPrepares() throws Exception {
        int node = nextNode.getAndIncrement();
        Recorder rec = new Recorder();
        String g = "pgmm:" + node + ":0:1";
        AtomicLong prepareLsn = new AtomicLong();
        CaptureListener listener = new Recorder() {
            @Override
            public void beginPrepare(String gid, long lsn) {
                prepareLsn.set(lsn);
                rec.events.add("begin " + gid);
            }

            @Override
            public void commitPrepared(String gid, long endLsn) {
                rec.events.add("commit " + gid);
            }
        };
        try (ChangeCapture capture = capture(node, listener)) {
            prepared(g, "INSERT INTO t VALUES (30, 'a')");
            await().atMost(Duration.ofSeconds(20)).until(() -> rec.events.contains("begin " + g));
            await().atMost(Duration.ofSeconds(20)).until(() -> Long.compareUnsigned(capture.processedLsn(), prepareLsn.get()) > 0);
            assertThat(capture.safeConfirmLsn()).isEqualTo(prepareLsn.get());
            pg.exec("COMMIT PREPARED '" + g + "'");
            await().atMost(Duration.ofSeconds(20)).until(() -> rec.events.contains("commit " + g));
            long safe = capture.safeConfirmLsn();
            assertThat(Long.compareUnsigned(safe, prepareLsn.get())).isPositive();
            capture.confirm(safe);
            await().atMost(Duration.ofSeconds(20)).until(() -> Long.compareUnsigned(
                    org.postgresql.replication.LogSequenceNumber.valueOf(pg.queryString(
                            "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '"
                                    + NodeSetup.slotName(node) + "'")).asLong(), safe) >= 0);
        } finally {
            dropSlot(node);
        }
    }

    @Test
    void streamBrokenByTheServerReconnectsAndRedeliversUnconfirmedTransactions() throws Exception {
        int node = nextNode.getAndIncrement();
        Recorder rec = new Recorder();
        RestartCounter listener = new RestartCounter(rec, 0);
        AtomicInteger restarts = listener.restarts;
        String g = "pgmm:" + node + ":0:1";
        try (ChangeCapture capture = capture(node, listener)) {
            prepared(g, "INSERT INTO t VALUES (40, 'a')");
            await().atMost(Duration.ofSeconds(20)).until(() -> rec.events.contains("begin " + g));
            pg.exec("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '"
                    + NodeSetup.slotName(node) + "'");
            await().atMost(Duration.ofSeconds(20)).until(() -> restarts.get() >= 1
                    && rec.events.stream().filter(e -> e.equals("begin " + g)).count() == 2);
            pg.exec("ROLLBACK PREPARED '" + g + "'");
        } finally {
            dropSlot(node);
        }
    }

    @Test
    void aListenerThatFailsRestartsTheStreamAndGetsTheTransactionAgain() throws Exception {
        int node = nextNode.getAndIncrement();
        Recorder rec = new Recorder();
        RestartCounter listener = new RestartCounter(rec, 1);
        String g = "pgmm:" + node + ":0:1";
        try (ChangeCapture capture = capture(node, listener)) {
            prepared(g, "INSERT INTO t VALUES (41, 'a')");
            await().atMost(Duration.ofSeconds(20)).until(() -> rec.events.contains("begin " + g));
            assertThat(listener.restarts.get()).isEqualTo(1);
            assertThat(capture.isRunning()).isTrue();
            assertThat(capture.failure()).isNull();
            pg.exec("ROLLBACK PREPARED '" + g + "'");
        } finally {
            dropSlot(node);
        }
    }

    @Test
    void largeTransactionIsDeliveredMessageByMessageWithoutBeingHeld() throws Exception {
        int node = nextNode.getAndIncrement();
        int rows = 200_000;
        AtomicInteger changes = new AtomicInteger();
        AtomicLong baselineUsed = new AtomicLong();
        AtomicLong midwayGrowth = new AtomicLong(-1);
        List<String> ends = new CopyOnWriteArrayList<>();
        CaptureListener counter = new Recorder() {
            @Override
            public void beginPrepare(String gid, long lsn) {
                baselineUsed.set(usedAfterGc());
            }

            @Override
            public void change(String gid, byte[] raw) {
                if (changes.incrementAndGet() == rows / 2 + 1) {
                    midwayGrowth.set(usedAfterGc() - baselineUsed.get());
                }
            }

            @Override
            public void prepared(String gid, long a, long b) {
                ends.add(gid);
            }
        };
        String g = "pgmm:" + node + ":0:1";
        try (ChangeCapture capture = capture(node, counter)) {
            // 200k rows of 1 kB: about 200 MB of changes
            prepared(g, "INSERT INTO big SELECT i, repeat(md5(i::text), 32) FROM generate_series(1, " + rows + ") i");
            await().atMost(Duration.ofMinutes(3)).until(() -> ends.contains(g));
            assertThat(changes.get()).isEqualTo(rows + 1); // one Relation message, then the rows
            assertThat(midwayGrowth.get()).as("heap growth after 100k changes (bytes)").isBetween(-1L << 40, 32L << 20);
            pg.exec("ROLLBACK PREPARED '" + g + "'");
        } finally {
            dropSlot(node);
        }
    }

    private static long usedAfterGc() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 2; i++) {
            System.gc();
        }
        return rt.totalMemory() - rt.freeMemory();
    }
}
