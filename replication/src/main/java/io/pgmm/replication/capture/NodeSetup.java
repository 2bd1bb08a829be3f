package io.pgmm.replication.capture;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Creates what a node's local PostgreSQL needs for pgmm, idempotently (run it at every start):
 * <ul>
 *   <li>schema {@code pgmm} and table {@code pgmm.applied_xacts(gid text primary key, applied_at timestamptz)}: the
 *       gids of peers' transactions applied here, written in the same transaction as the changes, so recovery
 *       knows exactly what this node has;</li>
 *   <li>publication {@value #PUBLICATION} {@code FOR ALL TABLES};</li>
 *   <li>logical slot {@code pgmm_<nodeId>} with the pgoutput plugin and two-phase decoding
 *       ({@code pg_create_logical_replication_slot(name, 'pgoutput', false, true)}).</li>
 * </ul>
 *
 * <p><b>Slot creation waits</b> for every transaction running at that moment to end, prepared transactions
 * included (it needs a consistent snapshot). So {@link #ensure} refuses to create the slot while
 * {@code pg_prepared_xacts} is not empty, with an error naming them, and bounds the wait for ordinary transactions
 * by {@link #SLOT_CREATE_TIMEOUT_MILLIS}; it never hangs. The slot is created in a transaction of its own
 * (autocommit), never after writes of the same transaction.
 *
 * <p>The connection must be a superuser's (or a role with REPLICATION and CREATE on the database).
 */
public final class NodeSetup {

    public static final String SCHEMA = "pgmm";
    public static final String APPLIED_XACTS = "pgmm.applied_xacts";
    public static final String PUBLICATION = "pgmm_pub";
    public static final long SLOT_CREATE_TIMEOUT_MILLIS = 60_000;

    private static final Logger log = LoggerFactory.getLogger(NodeSetup.class);

    private NodeSetup() {
    }

    /** The logical slot that node {@code nodeId} decodes its own transactions from. */
    public static String slotName(int nodeId) {
        if (nodeId < 1) {
            throw new IllegalArgumentException("node id must be positive, got " + nodeId);
        }
        return "pgmm_" + nodeId;
    }

    /** Creates whatever is missing; does nothing when all is there. */
    public static void ensure(Connection superuser, int nodeId) throws SQLException {
        String slot = slotName(nodeId);
        boolean autoCommit = superuser.getAutoCommit();
        superuser.setAutoCommit(true);
        try (Statement s = superuser.createStatement()) {
            s.execute("CREATE SCHEMA IF NOT EXISTS pgmm");
            s.execute("CREATE TABLE IF NOT EXISTS pgmm.applied_xacts ("
                    + "gid text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
            if (!exists(superuser, "SELECT 1 FROM pg_publication WHERE pubname = ?", PUBLICATION)) {
                try {
                    s.execute("CREATE PUBLICATION " + PUBLICATION + " FOR ALL TABLES");
                    log.info("created publication {}", PUBLICATION);
                } catch (SQLException e) {
                    if (!"42710".equals(e.getSQLState())) { // created by a concurrent ensure
                        throw e;
                    }
                }
            }
            if (!exists(superuser, "SELECT 1 FROM pg_replication_slots WHERE slot_name = ?", slot)) {
                createSlot(superuser, s, slot);
            }
        } finally {
            superuser.setAutoCommit(autoCommit);
        }
    }

    private static void createSlot(Connection c, Statement s, String slot) throws SQLException {
        List<String> prepared = new ArrayList<>();
        try (ResultSet rs = s.executeQuery("SELECT gid FROM pg_prepared_xacts ORDER BY prepared LIMIT 20")) {
            while (rs.next()) {
                prepared.add(rs.getString(1));
            }
        }
        if (!prepared.isEmpty()) {
            throw new SQLException("cannot create replication slot " + slot + " while prepared transactions exist "
                    + prepared + ": PostgreSQL would wait for them to end; COMMIT PREPARED or ROLLBACK PREPARED them"
                    + " first", "55000");
        }
        try {
            s.execute("SET statement_timeout = " + SLOT_CREATE_TIMEOUT_MILLIS);
            s.execute("SELECT pg_create_logical_replication_slot('" + slot + "', 'pgoutput', false, true)");
            log.info("created logical replication slot {} (pgoutput, two_phase)", slot);
        } catch (SQLException e) {
            if ("57014".equals(e.getSQLState())) {
                throw new SQLException("creating replication slot " + slot + " waited more than "
                        + SLOT_CREATE_TIMEOUT_MILLIS + " ms for running transactions to end; end them and retry",
                        "57014", e);
            }
            if (!"42710".equals(e.getSQLState())) { // created by a concurrent ensure
                throw e;
            }
        } finally {
            s.execute("RESET statement_timeout");
        }
    }

    private static boolean exists(Connection c, String sql, String arg) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, arg);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }
}
