package io.pgmm.replication.apply;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Deletes old rows of {@code pgmm.applied_xacts}, which gains one row per replayed transaction (about 2 GB a day
 * at 300 transactions a second). A row answers one question only: whether a COMMIT PREPARED that finds its gid no
 * longer prepared had committed it here ({@link ApplyService#decide}). Decisions arrive within seconds of the
 * replay; a row is kept for {@code retention} beyond that, so a decision resent after a long stall still finds it.
 *
 * <p>The deletes are local transactions that capture decodes; it knows them by their table and does not report
 * them as unreplicated writes. They go in batches, so no delete holds many row locks or fills capture's stream.
 */
public final class AppliedGidPruner implements AutoCloseable {

    /** How long a replayed gid stays recorded. */
    public static final Duration DEFAULT_RETENTION = Duration.ofHours(1);
    /** How often old rows are deleted: the table holds at most retention plus this. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofMinutes(5);
    static final int BATCH_ROWS = 10_000;

    private static final Logger log = LoggerFactory.getLogger(AppliedGidPruner.class);
    private static final String DELETE_BATCH = "DELETE FROM pgmm.applied_xacts WHERE ctid = ANY (ARRAY("
            + "SELECT ctid FROM pgmm.applied_xacts WHERE applied_at < now() - make_interval(secs => ?) LIMIT "
            + BATCH_ROWS + "))";

    private final String jdbcUrl;
    private final Properties props;
    private final Duration retention;
    private final Duration interval;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "pgmm-applied-pruner");
        t.setDaemon(true);
        return t;
    });

    public AppliedGidPruner(String jdbcUrl, Properties props, Duration retention, Duration interval) {
        if (retention.isNegative() || interval.toMillis() < 1) {
            throw new IllegalArgumentException("retention must be at least 0 and interval at least 1 ms, got "
                    + retention + " and " + interval);
        }
        this.jdbcUrl = Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        this.props = new Properties();
        this.props.putAll(props);
        this.props.setProperty("ApplicationName", "pgmm-prune");
        this.retention = retention;
        this.interval = interval;
    }

    /** Prunes every interval, the first time one interval from now. */
    public void start() {
        timer.scheduleWithFixedDelay(this::pruneQuietly, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Deletes the rows older than the retention, batch by batch; returns how many went. */
    public long pruneNow() throws SQLException {
        long deleted = 0;
        try (Connection c = DriverManager.getConnection(jdbcUrl, props);
             PreparedStatement delete = c.prepareStatement(DELETE_BATCH)) {
            c.setAutoCommit(true);
            delete.setDouble(1, retention.toMillis() / 1000.0);
            int n;
            do {
                n = delete.executeUpdate();
                deleted += n;
            } while (n == BATCH_ROWS);
        }
        return deleted;
    }

    private void pruneQuietly() {
        try {
            long n = pruneNow();
            if (n > 0) {
                log.debug("deleted {} rows older than {} from pgmm.applied_xacts", n, retention);
            }
        } catch (SQLException | RuntimeException e) {
            // The next round tries again; meanwhile the table only grows.
            log.warn("pruning pgmm.applied_xacts failed: {}", e.toString());
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
