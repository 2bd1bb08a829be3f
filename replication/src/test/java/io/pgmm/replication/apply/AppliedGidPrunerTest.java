package io.pgmm.replication.apply;

import io.pgmm.replication.capture.NodeSetup;
import io.pgmm.replication.capture.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class AppliedGidPrunerTest {

    private static TestPostgres pg;

    @BeforeAll
    static void start() throws Exception {
        pg = TestPostgres.start();
        try (Connection c = pg.connect()) {
            NodeSetup.ensure(c, 1);
        }
    }

    @AfterAll
    static void stop() {
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    void rowsOlderThanTheRetentionGoInBatchesAndRecentOnesStay() throws Exception {
        int old = AppliedGidPruner.BATCH_ROWS * 2 + 7; // more than one batch
        pg.exec("INSERT INTO pgmm.applied_xacts (gid, applied_at) SELECT 'pgmm:2:0:' || i, now() - interval '61 minutes'"
                        + " FROM generate_series(1, " + old + ") i",
                "INSERT INTO pgmm.applied_xacts (gid, applied_at) SELECT 'pgmm:3:0:' || i, now() - interval '59 minutes'"
                        + " FROM generate_series(1, 5) i");
        AppliedGidPruner pruner = new AppliedGidPruner(pg.jdbcUrl(), pg.props(), Duration.ofHours(1), Duration.ofMinutes(5));

        assertThat(pruner.pruneNow()).isEqualTo(old);
        assertThat(pg.queryString("SELECT string_agg(gid, ',' ORDER BY gid) FROM pgmm.applied_xacts"))
                .isEqualTo("pgmm:3:0:1,pgmm:3:0:2,pgmm:3:0:3,pgmm:3:0:4,pgmm:3:0:5");
        assertThat(pruner.pruneNow()).isZero();
    }
}
