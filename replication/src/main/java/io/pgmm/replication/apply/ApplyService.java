package io.pgmm.replication.apply;

import io.pgmm.replication.pgoutput.PgOutputDecoder;
import io.pgmm.replication.pgoutput.PgOutputMessage;
import io.pgmm.replication.pgoutput.PgOutputMessage.Relation;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Replays peers' transactions into the local PostgreSQL and prepares each with its gid.
 *
 * <pre>
 *  begin(gid) ──(blocks while workers + queue are full)──► queue ──► worker i (own connection, replica role)
 *  append(raw) … append(raw) ─► tx buffer (bounded bytes) ──►  BEGIN; INSERT/UPDATE/DELETE as literal SQL,
 *                                                              pipelined in batches (executeBatch); row counts
 *                                                              checked; TRUNCATE / pgmm.ddl run in place
 *  prepare() ─────────────────────────────────────────────►   INSERT INTO pgmm.applied_xacts(gid);
 *                                                              PREPARE TRANSACTION gid ─► Vote yes | no
 *                                                              (a small transaction: all in one round trip)
 *  decide(gid, commit) ─► decision pool (own connections) ─►  COMMIT PREPARED | ROLLBACK PREPARED (idempotent)
 * </pre>
 *
 * <p>Worker sessions run {@code session_replication_role = replica} (user triggers and FK checks stay quiet, as
 * on a logical replication subscriber), {@code lock_timeout} = the configured one (a replayed DDL statement may
 * wait {@value #DDL_LOCK_TIMEOUT_MILLIS} ms) and {@code deadlock_timeout} half of it: above the resolver's check,
 * so conflicts between distributed transactions are decided by age first, and below the lock timeout, so an
 * autovacuum in the way is cancelled by PostgreSQL before the replay gives up. Any error rolls the transaction back and
 * votes No with its SQLSTATE; a lock timeout (55P03) or a deadlock (40P01) becomes 40001 so the origin's client
 * retries. An UPDATE or DELETE that matches no row asks the {@link MissingRowHandler}, and votes No with XX000
 * ("nodes may have diverged") when the row stays missing. Decisions run on a pool of their own so they never
 * queue behind applies that wait on locks. The connections need a superuser (session_replication_role,
 * deadlock_timeout, COMMIT PREPARED of any transaction).
 *
 * <p>Thread-safe.
 */
public final class ApplyService implements AutoCloseable {

    public static final int DEFAULT_DECISION_CONNECTIONS = 2;
    public static final long DEFAULT_MAX_BUFFERED_BYTES = 16L << 20;
    static final int MAX_BATCH_STATEMENTS = 1000;
    static final int MAX_BATCH_CHARS = 4 << 20;
    /** Prepared statements one worker keeps (one per table and change shape); beyond, it starts over. */
    static final int MAX_PREPARED_STATEMENTS = 1000;
    /** How long a replayed DDL statement may wait for its table locks (the origin's prepare timeout is 30 s). */
    static final long DDL_LOCK_TIMEOUT_MILLIS = 20_000;
    /**
     * How long a replay waits for the origin's decided transactions to commit here first; past it the replay
     * runs anyway (one stuck in doubt must not stop every replay), and at worst votes no.
     */
    static final long PREDECESSOR_WAIT_MILLIS = 5_000;

    private static final Logger log = LoggerFactory.getLogger(ApplyService.class);

    private final String jdbcUrl;
    private final Properties props;
    private final Duration lockTimeout;
    private final MissingRowHandler missingRowHandler;
    private final long maxBufferedBytesPerTransaction;
    private final Semaphore slots;
    private final BlockingQueue<RemoteTransaction> queue = new LinkedBlockingQueue<>();
    private final Map<String, RemoteTransaction> active = new ConcurrentHashMap<>();
    private final List<Worker> workers = new ArrayList<>();
    private final BlockingQueue<Connection> decisionConnections;
    private final ExecutorService decisionExecutor;
    /**
     * Statements run outside a transaction (CREATE INDEX CONCURRENTLY from peers) may each wait long for older
     * transactions: a few threads, a bounded queue, and beyond that a refusal (53300) rather than a thread each.
     */
    private final ThreadPoolExecutor statementExecutor = new ThreadPoolExecutor(STATEMENT_THREADS,
            STATEMENT_THREADS, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(STATEMENT_QUEUE), r -> {
                Thread t = new Thread(r, "pgmm-statement");
                t.setDaemon(true);
                return t;
            });
    private final AtomicLong schemaEpoch = new AtomicLong();
    private volatile boolean closed;
    private static final int STATEMENT_THREADS = 4;
    private static final int STATEMENT_QUEUE = 64;

    /** A service with {@link #DEFAULT_DECISION_CONNECTIONS}, no missing-row wait, 16 MB of buffer per transaction. */
    public ApplyService(String jdbcUrl, Properties props, int workers, int queueLength, Duration lockTimeout)
            throws SQLException {
        this(jdbcUrl, props, workers, queueLength, lockTimeout, DEFAULT_DECISION_CONNECTIONS, MissingRowHandler.NONE,
                DEFAULT_MAX_BUFFERED_BYTES);
    }

    /**
     * Opens {@code workers} apply connections and {@code decisionConnections} decision connections now, so a bad
     * URL or missing privilege fails here.
     *
     * @param workers                        transactions replayed at the same time (one backend each)
     * @param queueLength                    transactions that may wait for a worker; {@link #begin} blocks beyond
     * @param lockTimeout                    how long an apply waits for a row lock before it votes No (40001)
     * @param maxBufferedBytesPerTransaction bound of the messages appended but not yet replayed, per transaction
     */
    public ApplyService(String jdbcUrl, Properties props, int workers, int queueLength, Duration lockTimeout,
                        int decisionConnections, MissingRowHandler missingRowHandler,
                        long maxBufferedBytesPerTransaction) throws SQLException {
        if (workers < 1 || queueLength < 0 || decisionConnections < 1 || maxBufferedBytesPerTransaction < 1) {
            throw new IllegalArgumentException("workers and decisionConnections must be at least 1, queueLength at"
                    + " least 0, got " + workers + ", " + decisionConnections + ", " + queueLength);
        }
        if (lockTimeout.toMillis() < 1) {
            throw new IllegalArgumentException("lockTimeout must be at least 1 ms, got " + lockTimeout);
        }
        this.jdbcUrl = Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        this.props = new Properties();
        this.props.putAll(props);
        this.lockTimeout = lockTimeout;
        this.missingRowHandler = Objects.requireNonNull(missingRowHandler, "missingRowHandler");
        this.maxBufferedBytesPerTransaction = maxBufferedBytesPerTransaction;
        this.slots = new Semaphore(workers + queueLength, true);
        this.decisionConnections = new ArrayBlockingQueue<>(decisionConnections);
        AtomicInteger threadNumber = new AtomicInteger();
        this.decisionExecutor = Executors.newFixedThreadPool(decisionConnections, r -> {
            Thread t = new Thread(r, "pgmm-decide-" + threadNumber.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        try {
            for (int i = 0; i < decisionConnections; i++) {
                this.decisionConnections.add(openDecisionConnection());
            }
            for (int i = 0; i < workers; i++) {
                Worker w = new Worker(i + 1);
                w.connection = w.open();
                this.workers.add(w);
            }
        } catch (SQLException | RuntimeException e) {
            close();
            throw e;
        }
        for (Worker w : this.workers) {
            w.thread.start();
        }
    }

    /**
     * Starts replaying a peer's transaction. Blocks while every worker is busy and the queue is full
     * (backpressure). A gid that is being applied here already is refused.
     */
    public RemoteTransaction begin(String gid) throws InterruptedException {
        return begin(gid, CompletableFuture.completedFuture(null));
    }

    /**
     * As {@link #begin(String)}, but the worker starts the replay only once {@code after} completed (or after
     * {@value #PREDECESSOR_WAIT_MILLIS} ms): the origin's earlier transactions that are decided but not yet
     * committed here, which this one may build on (a table it created, a row it inserted).
     */
    public RemoteTransaction begin(String gid, CompletableFuture<?> after) throws InterruptedException {
        checkOpen(gid);
        slots.acquire();
        return enqueue(gid, after);
    }

    /** As {@link #begin(String, CompletableFuture)}, but never blocks: null when every worker is busy and the queue full. */
    public RemoteTransaction tryBegin(String gid, CompletableFuture<?> after) throws InterruptedException {
        checkOpen(gid);
        // with a timeout, as begin() does, the fair semaphore lets no one jump the transactions waiting for a slot
        return slots.tryAcquire(0, TimeUnit.NANOSECONDS) ? enqueue(gid, after) : null;
    }

    private void checkOpen(String gid) {
        Objects.requireNonNull(gid, "gid");
        if (closed) {
            throw new IllegalStateException("apply service is closed");
        }
    }

    private RemoteTransaction enqueue(String gid, CompletableFuture<?> after) {
        RemoteTransaction tx = new RemoteTransaction(gid, maxBufferedBytesPerTransaction, this, after);
        if (active.putIfAbsent(gid, tx) != null) {
            slots.release();
            throw new IllegalStateException("transaction " + gid + " is already being applied here");
        }
        queue.add(tx);
        return tx;
    }

    /** Which gid each apply worker's PostgreSQL backend is replaying now, by backend pid. */
    public Map<Integer, String> applyingByBackendPid() {
        Map<Integer, String> result = new HashMap<>();
        for (Worker w : workers) {
            String gid = w.applying;
            if (gid != null && w.backendPid != 0) {
                result.put(w.backendPid, gid);
            }
        }
        return result;
    }

    /**
     * True when some worker's statements have been running in PostgreSQL for at least {@code nanos}: only then
     * can an apply be waiting for a lock, so only then is a look at PostgreSQL's lock table worth its cost.
     */
    public boolean anyExecutingLongerThan(long nanos) {
        long now = System.nanoTime();
        for (Worker w : workers) {
            long since = w.executingSinceNanos;
            if (since != 0 && now - since >= nanos) {
                return true;
            }
        }
        return false;
    }

    /** The transaction being applied under {@code gid}, or null. */
    public RemoteTransaction active(String gid) {
        return active.get(gid);
    }

    /**
     * Runs a statement that PostgreSQL refuses in a transaction block (CREATE INDEX CONCURRENTLY), given in the
     * {@link DdlMessage} format, on a connection of its own with the origin's search_path and role. Such a
     * statement may wait long (for every older transaction here), so it takes neither a worker nor a decision
     * connection. Completes exceptionally with the server's error.
     */
    public CompletableFuture<Void> runOutsideTransaction(String ddlMessage) {
        try {
            return runOutsideTransactionOnPool(ddlMessage);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new SQLException("pgmm: " + STATEMENT_QUEUE
                    + " statements from peers wait to run outside a transaction here already; run it again later",
                    "53300", e));
        }
    }

    private CompletableFuture<Void> runOutsideTransactionOnPool(String ddlMessage) {
        return CompletableFuture.runAsync(() -> {
            DdlMessage ddl = DdlMessage.parse(ddlMessage.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            Properties p = new Properties();
            p.putAll(props);
            p.setProperty("ApplicationName", "pgmm-statement");
            try (Connection c = DriverManager.getConnection(jdbcUrl, p); Statement s = c.createStatement()) {
                s.execute("SET session_replication_role = replica"); // a replay, as every peer's DDL: no DDL guard
                if (ddl.searchPath() != null) {
                    s.execute("SELECT pg_catalog.set_config('search_path', " + ChangeSql.quoteLiteral(ddl.searchPath())
                            + ", false)");
                }
                if (ddl.role() != null) {
                    s.execute("SET ROLE " + ChangeSql.quoteIdent(ddl.role()));
                }
                s.execute(ddl.sql());
            } catch (SQLException e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        }, statementExecutor);
    }

    /**
     * COMMIT PREPARED or ROLLBACK PREPARED of {@code gid} on the decision pool. Idempotent: when {@code gid} is
     * no longer prepared here, a commit succeeds if {@code pgmm.applied_xacts} has it (committed before) and fails
     * otherwise (never applied here, or rolled back); a rollback succeeds. A rollback of a transaction still being
     * applied aborts it.
     */
    public CompletableFuture<Void> decide(String gid, boolean commit) {
        Objects.requireNonNull(gid, "gid");
        RemoteTransaction running = active.get(gid);
        if (!commit && running != null && running.state() != RemoteTransaction.State.PREPARED) {
            // Not back through decide(): a finished transaction may still be listed as active, and
            // the recursion would never end.
            return running.abort().thenCompose(v -> decideOnPool(gid, false));
        }
        return decideOnPool(gid, commit);
    }

    private CompletableFuture<Void> decideOnPool(String gid, boolean commit) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                decideNow(gid, commit);
                return null;
            } catch (SQLException e) {
                throw new java.util.concurrent.CompletionException(new SQLException((commit ? "COMMIT" : "ROLLBACK")
                        + " PREPARED of " + gid + " failed: " + e.getMessage(), e.getSQLState(), e));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.util.concurrent.CompletionException(e);
            }
        }, decisionExecutor);
    }

    /**
     * Forget cached facts about local tables (which columns are identity GENERATED ALWAYS). Call it after DDL that
     * did not come through this service (applied DDL invalidates by itself).
     */
    public void invalidateSchemaCache() {
        schemaEpoch.incrementAndGet();
    }

    @Override
    public void close() {
        closed = true;
        for (Worker w : workers) {
            w.thread.interrupt();
        }
        for (Worker w : workers) {
            try {
                w.thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            closeQuietly(w.connection);
        }
        decisionExecutor.shutdownNow();
        statementExecutor.shutdownNow();
        Connection c;
        while ((c = decisionConnections.poll()) != null) {
            closeQuietly(c);
        }
        for (RemoteTransaction tx : queue) {
            tx.finish(RemoteTransaction.State.ABORTED, Vote.no("57P01", "apply service shutting down"));
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    void finished(RemoteTransaction tx) {
        if (active.remove(tx.gid(), tx)) {
            slots.release();
        }
    }

    private void decideNow(String gid, boolean commit) throws SQLException, InterruptedException {
        try {
            decideOnce(gid, commit);
        } catch (SQLException e) {
            String state = e.getSQLState();
            if (state == null || !(state.startsWith("08") || state.startsWith("57P"))) {
                throw e;
            }
            // A pooled connection whose backend went away (terminated, restarted) is no failure of the
            // decision: once more, on a new connection.
            decideOnce(gid, commit);
        }
    }

    private void decideOnce(String gid, boolean commit) throws SQLException, InterruptedException {
        Connection c = decisionConnections.take();
        try {
            if (c.isClosed()) {
                closeQuietly(c);
                c = openDecisionConnection();
            }
            try (Statement s = c.createStatement()) {
                s.execute((commit ? "COMMIT PREPARED " : "ROLLBACK PREPARED ") + ChangeSql.quoteLiteral(gid));
            } catch (SQLException e) {
                if (!"42704".equals(e.getSQLState())) {
                    throw e;
                }
                if (commit && !appliedHere(c, gid)) {
                    throw new SQLException("transaction " + gid + " is neither prepared nor committed here (it was"
                            + " never applied, was rolled back, or committed so long ago that its record was pruned)",
                            "42704", e);
                }
            }
        } catch (SQLException e) {
            String state = e.getSQLState();
            if (state != null && (state.startsWith("08") || state.startsWith("57P"))) {
                // The backend is gone (terminated, restarted): the next decision on this slot opens a new one.
                closeQuietly(c);
            }
            throw e;
        } finally {
            decisionConnections.add(c);
        }
    }

    private static boolean appliedHere(Connection c, String gid) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pgmm.applied_xacts WHERE gid = ?")) {
            ps.setString(1, gid);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    private Connection openDecisionConnection() throws SQLException {
        Properties p = new Properties();
        p.putAll(props);
        p.setProperty("ApplicationName", "pgmm-decide");
        p.setProperty("preferQueryMode", "simple"); // one Query message a decision: less work on both ends
        Connection c = DriverManager.getConnection(jdbcUrl, p);
        c.setAutoCommit(true);
        return c;
    }

    private static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // closing anyway
            }
        }
    }

    /** The server's own error (SQLSTATE, message) behind a pgjdbc exception, batch exceptions included. */
    static SQLException serverError(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof PSQLException p && p.getServerErrorMessage() != null) {
                return p;
            }
            if (t instanceof SQLException s) {
                for (SQLException n = s.getNextException(); n != null; n = n.getNextException()) {
                    if (n instanceof PSQLException p && p.getServerErrorMessage() != null) {
                        return p;
                    }
                }
            }
        }
        return e;
    }

    static String describe(SQLException e) {
        if (e instanceof PSQLException p && p.getServerErrorMessage() != null) {
            ServerErrorMessage m = p.getServerErrorMessage();
            StringBuilder b = new StringBuilder(String.valueOf(m.getMessage()));
            if (m.getDetail() != null) {
                b.append(" (").append(m.getDetail()).append(')');
            }
            if (m.getWhere() != null) {
                b.append(", ").append(m.getWhere());
            }
            return b.toString();
        }
        return String.valueOf(e.getMessage());
    }

    // ---------------------------------------------------------------------------------------------------------

    /** One apply backend and its thread; replays one transaction at a time. */
    private final class Worker {
        final int number;
        final Thread thread;
        Connection connection;
        /** The worker's PostgreSQL backend and the gid it is applying, for the deadlock resolver. */
        volatile int backendPid;
        volatile String applying;
        /** When the statements now running in PostgreSQL were sent; 0 when none is. */
        volatile long executingSinceNanos;
        long cachedEpoch = -1;
        /** Per local table (quoted qualified name): identity columns GENERATED ALWAYS. */
        final Map<String, Set<String>> alwaysIdentity = new HashMap<>();
        /** Statements prepared in this worker's session, by template: each shape is planned once, then executed. */
        final Map<String, String> preparedNames = new HashMap<>();
        long preparedCount;
        /** A failed batch or DDL may have left the prepared statements unlike {@link #preparedNames}: start over. */
        boolean deallocate;

        // per transaction
        Statement batch;
        final List<String> batchChecks = new ArrayList<>(); // per batch entry: null, or the SQL of an UPDATE/DELETE
        int batchChars;
        Map<Integer, Relation> relations;
        /** The transaction's statements while none has been sent yet (then it may go with its PREPARE); else null. */
        List<Step> wholeTransaction;

        Worker(int number) {
            this.number = number;
            this.thread = new Thread(this::loop, "pgmm-apply-" + number);
            this.thread.setDaemon(true);
        }

        Connection open() throws SQLException {
            Properties p = new Properties();
            p.putAll(props);
            p.setProperty("ApplicationName", "pgmm-apply-" + number);
            Connection c = DriverManager.getConnection(jdbcUrl, p);
            c.setAutoCommit(true);
            backendPid = c.unwrap(org.postgresql.PGConnection.class).getBackendPID();
            long lockMillis = lockTimeout.toMillis();
            try (Statement s = c.createStatement()) {
                s.execute("SET session_replication_role = replica");
                s.execute("SET lock_timeout = " + lockMillis);
                // Below the lock timeout: the wait for deadlock_timeout is also what makes PostgreSQL cancel an
                // autovacuum in the way (seen: a replayed ADD PRIMARY KEY timed out behind autovacuum of the
                // freshly loaded table); still well above the resolver's check, which decides conflicts first.
                s.execute("SET deadlock_timeout = " + Math.max(1, lockMillis / 2));
                s.execute("SET standard_conforming_strings = on");
                s.execute("SET default_transaction_read_only = off");
                s.execute("SET DateStyle = ISO");
                s.execute("SET IntervalStyle = postgres");
            }
            return c;
        }

        void loop() {
            while (!closed) {
                RemoteTransaction tx;
                try {
                    tx = queue.take();
                } catch (InterruptedException e) {
                    return;
                }
                try {
                    tx.awaitPredecessors(PREDECESSOR_WAIT_MILLIS);
                    applying = tx.gid();
                    if (tx.start()) {
                        apply(tx);
                    }
                } catch (RuntimeException e) {
                    log.error("apply worker {} failed on {}", number, tx.gid(), e);
                    if (!tx.state().finished()) {
                        rollbackQuietly();
                        tx.finish(RemoteTransaction.State.FAILED, Vote.no("XX000", "apply failed: " + e));
                    }
                } finally {
                    applying = null;
                    finished(tx);
                }
            }
        }

        void apply(RemoteTransaction tx) {
            String gid = tx.gid();
            relations = new HashMap<>();
            try {
                if (connection == null || connection.isClosed()) {
                    closeQuietly(connection);
                    connection = open();
                    preparedNames.clear(); // a new session has none of the old one's statements
                    deallocate = false;
                }
                if (cachedEpoch != schemaEpoch.get()) {
                    forgetSchema();
                }
                batch = connection.createStatement();
                batch.setEscapeProcessing(false);
                tx.running(batch);
                wholeTransaction = new ArrayList<>();
                add("BEGIN", null);
                if (deallocate) {
                    addSessionStatement("DEALLOCATE ALL");
                    deallocate = false;
                }
                while (true) {
                    Object item = tx.take();
                    if (item == RemoteTransaction.Marker.ABORT) {
                        rollbackQuietly();
                        tx.finish(RemoteTransaction.State.ABORTED, Vote.no("40001", "transaction " + gid
                                + " was aborted while it was applied"));
                        return;
                    }
                    if (item == RemoteTransaction.Marker.PREPARE) {
                        break;
                    }
                    replay((byte[]) item);
                    if (batchChecks.size() >= MAX_BATCH_STATEMENTS || batchChars >= MAX_BATCH_CHARS) {
                        flush(gid);
                    }
                }
                add(execute(ChangeSql.appliedMark(gid)), null);
                boolean checks = batchChecks.stream().anyMatch(Objects::nonNull);
                String prepare = "PREPARE TRANSACTION " + ChangeSql.quoteLiteral(gid);
                if (!checks) {
                    add(prepare, null); // nothing to check: one round trip for the tail and the PREPARE
                    flush(gid);
                } else if (wholeTransaction != null) {
                    prepareInOneRoundTrip(gid, prepare);
                } else {
                    flush(gid);
                    batch.execute(prepare);
                }
                if (tx.abortRequested()) {
                    try (Statement s = connection.createStatement()) {
                        s.execute("ROLLBACK PREPARED " + ChangeSql.quoteLiteral(gid));
                    }
                    tx.finish(RemoteTransaction.State.ABORTED, Vote.no("40001", "transaction " + gid
                            + " was aborted while it was prepared"));
                    return;
                }
                tx.finish(RemoteTransaction.State.PREPARED, Vote.yes());
            } catch (ApplyException e) {
                fail(tx, e.sqlState(), e.getMessage());
            } catch (SQLException e) {
                if (tx.abortRequested()) {
                    rollbackQuietly();
                    tx.finish(RemoteTransaction.State.ABORTED, Vote.no("40001", "transaction " + gid
                            + " was aborted while it was applied"));
                    return;
                }
                SQLException server = serverError(e);
                String state = server.getSQLState() == null ? "XX000" : server.getSQLState();
                String message = describe(server);
                if ("55P03".equals(state)) {
                    fail(tx, "40001", "lock conflict: applying " + gid + " waited more than " + lockTimeout.toMillis()
                            + " ms for a lock held by another transaction on this node (" + message + ")");
                } else if ("40P01".equals(state)) {
                    fail(tx, "40001", "deadlock while applying " + gid + ": " + message);
                } else {
                    if (state.startsWith("08")) {
                        closeQuietly(connection);
                        connection = null;
                    }
                    fail(tx, state, message);
                }
            } catch (InterruptedException e) {
                rollbackQuietly();
                tx.finish(RemoteTransaction.State.FAILED, Vote.no("57P01", "apply service shutting down"));
                Thread.currentThread().interrupt();
            } finally {
                if (tx.state() != RemoteTransaction.State.PREPARED) {
                    forgetPrepared();
                }
                tx.running(null);
                batchChecks.clear();
                batchChars = 0;
                relations = null;
                wholeTransaction = null;
                if (batch != null) {
                    try {
                        batch.close();
                    } catch (SQLException ignored) {
                        // the connection is closed or gone
                    }
                    batch = null;
                }
            }
        }

        private void fail(RemoteTransaction tx, String sqlState, String message) {
            rollbackQuietly();
            log.info("apply of {} votes no: {} {}", tx.gid(), sqlState, message);
            tx.finish(RemoteTransaction.State.FAILED, Vote.no(sqlState, message));
        }

        private void replay(byte[] raw) throws SQLException, InterruptedException {
            PgOutputMessage m;
            try {
                m = PgOutputDecoder.decode(raw);
            } catch (IllegalArgumentException e) {
                throw new ApplyException("XX000", e.getMessage());
            }
            switch (m.type()) {
                case RELATION -> {
                    Relation r = (Relation) m;
                    relations.put(r.relationId(), r);
                }
                case INSERT -> {
                    PgOutputMessage.Insert i = (PgOutputMessage.Insert) m;
                    add(execute(ChangeSql.insert(relation(i.relationId()), i, true)), null);
                }
                case UPDATE -> {
                    PgOutputMessage.Update u = (PgOutputMessage.Update) m;
                    Relation r = relation(u.relationId());
                    ChangeSql.Change c = ChangeSql.update(r, u, alwaysIdentityColumns(r));
                    add(execute(c), c.literal());
                }
                case DELETE -> {
                    PgOutputMessage.Delete d = (PgOutputMessage.Delete) m;
                    ChangeSql.Change c = ChangeSql.delete(relation(d.relationId()), d);
                    add(execute(c), c.literal());
                }
                case TRUNCATE -> {
                    PgOutputMessage.Truncate t = (PgOutputMessage.Truncate) m;
                    List<Relation> rels = new ArrayList<>();
                    for (int relid : t.relationIds()) {
                        rels.add(relation(relid));
                    }
                    add(ChangeSql.truncate(rels, t.cascade(), t.restartIdentity()), null);
                }
                case MESSAGE -> {
                    PgOutputMessage.LogicalMessage lm = (PgOutputMessage.LogicalMessage) m;
                    if (lm.prefix().equals(DdlMessage.PREFIX)) {
                        ddl(lm.content());
                    }
                }
                case TYPE, ORIGIN -> {
                    // nothing to do: values travel as text
                }
                default -> throw new ApplyException("XX000", "unexpected " + m.type() + " message inside a transaction");
            }
        }

        private void ddl(byte[] content) throws SQLException, InterruptedException {
            DdlMessage ddl;
            try {
                ddl = DdlMessage.parse(content);
            } catch (IllegalArgumentException e) {
                throw new ApplyException("XX000", e.getMessage());
            }
            // re-emitted, so a node that recovers from this one (not the origin) still gets the DDL
            add("SELECT pg_logical_emit_message(true, " + ChangeSql.quoteLiteral(DdlMessage.PREFIX) + ", "
                    + ChangeSql.quoteLiteral(new String(content, java.nio.charset.StandardCharsets.UTF_8)) + ")", null);
            if (ddl.searchPath() != null) {
                add("SELECT set_config('search_path', " + ChangeSql.quoteLiteral(ddl.searchPath()) + ", true)", null);
            }
            if (ddl.role() != null) {
                add("SET LOCAL ROLE " + ChangeSql.quoteIdent(ddl.role()), null);
            }
            // DDL waits for table locks as it would on the origin (a local reader, an autovacuum being
            // cancelled), not only as long as a row change may.
            add("SET LOCAL lock_timeout = " + Math.max(lockTimeout.toMillis(), DDL_LOCK_TIMEOUT_MILLIS), null);
            add(ddl.sql(), null);
            add("SET LOCAL lock_timeout = " + lockTimeout.toMillis(), null);
            if (ddl.role() != null) {
                add("SET LOCAL ROLE NONE", null);
            }
            if (ddl.searchPath() != null) {
                add("SET LOCAL search_path TO DEFAULT", null);
            }
            flush(null);
            invalidateSchemaCache();
            forgetSchema();
            if (deallocate) {
                // Now, not at the next transaction's start: that would also drop what the rest of this one prepares.
                addSessionStatement("DEALLOCATE ALL");
                deallocate = false;
            }
        }

        /** Drops what this worker knows of the tables' shapes: identity columns and prepared statements. */
        private void forgetSchema() {
            alwaysIdentity.clear();
            cachedEpoch = schemaEpoch.get();
            forgetPrepared();
        }

        /** {@code EXECUTE} of the change's statement, preparing it first (in the same batch) if it is new here. */
        private String execute(ChangeSql.Change c) throws SQLException {
            String name = preparedNames.get(c.template());
            if (name == null) {
                if (preparedNames.size() >= MAX_PREPARED_STATEMENTS) {
                    addSessionStatement("DEALLOCATE ALL");
                    preparedNames.clear();
                }
                name = "pgmm_apply_" + (++preparedCount);
                addSessionStatement("PREPARE " + name + " AS " + c.template());
                preparedNames.put(c.template(), name);
            }
            return c.execute(name);
        }

        private void forgetPrepared() {
            if (!preparedNames.isEmpty()) {
                preparedNames.clear();
                deallocate = true;
            }
        }

        private Relation relation(int relid) {
            Relation r = relations.get(relid);
            if (r == null) {
                throw new ApplyException("XX000", "change of relation " + relid + " before its Relation message");
            }
            return r;
        }

        private Set<String> alwaysIdentityColumns(Relation r) throws SQLException, InterruptedException {
            String name = ChangeSql.qualifiedName(r);
            Set<String> cols = alwaysIdentity.get(name);
            if (cols == null) {
                flush(null); // the lookup must see the table as this transaction has made it so far
                cols = new HashSet<>();
                try (PreparedStatement ps = connection.prepareStatement("SELECT attname FROM pg_attribute"
                        + " WHERE attrelid = ?::regclass AND attidentity = 'a' AND NOT attisdropped")) {
                    ps.setString(1, name);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            cols.add(rs.getString(1));
                        }
                    }
                }
                alwaysIdentity.put(name, cols);
            }
            return cols;
        }

        /** Adds a statement of the transaction: {@code check} is the SQL of an UPDATE/DELETE that must find its row. */
        private void add(String sql, String check) throws SQLException {
            addToBatch(sql, check);
            if (wholeTransaction != null) {
                wholeTransaction.add(new Step(sql, check));
            }
        }

        /** Adds a statement about the session's prepared statements: it lasts beyond the transaction. */
        private void addSessionStatement(String sql) throws SQLException {
            addToBatch(sql, null);
        }

        private void addToBatch(String sql, String check) throws SQLException {
            batch.addBatch(sql);
            batchChecks.add(check);
            batchChars += sql.length();
        }

        /** Sends the batch (pipelined) and checks that every UPDATE/DELETE found its row. */
        private void flush(String gid) throws SQLException, InterruptedException {
            List<String> missing = send();
            if (!missing.isEmpty()) {
                retryMissing(gid, missing);
            }
        }

        /** Sends the batch (pipelined); returns its UPDATE/DELETE statements that matched no row. */
        private List<String> send() throws SQLException {
            wholeTransaction = null;
            if (batchChecks.isEmpty()) {
                return List.of();
            }
            int[] counts;
            executingSinceNanos = System.nanoTime();
            try {
                counts = batch.executeBatch();
            } finally {
                executingSinceNanos = 0;
                batch.clearBatch();
                batchChars = 0;
            }
            List<String> missing = new ArrayList<>();
            for (int i = 0; i < counts.length && i < batchChecks.size(); i++) {
                if (batchChecks.get(i) != null && counts[i] == 0) {
                    missing.add(batchChecks.get(i));
                }
            }
            batchChecks.clear();
            return missing;
        }

        /**
         * Sends the whole transaction and its PREPARE in one round trip, the usual case, though the row counts
         * of its UPDATEs and DELETEs are only known afterwards. When one matched no row, the PREPARE is
         * undone (nothing has voted on it yet) and the statements run again, waiting for the rows as
         * {@link #retryMissing} does; the prepared statements they made stay (they outlive transactions).
         */
        private void prepareInOneRoundTrip(String gid, String prepare) throws SQLException, InterruptedException {
            List<Step> steps = wholeTransaction;
            addToBatch(prepare, null);
            if (send().isEmpty()) {
                return;
            }
            batch.execute("ROLLBACK PREPARED " + ChangeSql.quoteLiteral(gid));
            for (Step step : steps) {
                addToBatch(step.sql(), step.check());
            }
            flush(gid);
            batch.execute(prepare);
        }

        private void retryMissing(String gid, List<String> missing) throws SQLException, InterruptedException {
            if (missingRowHandler.awaitEarlierPrepared(gid)) {
                List<String> still = new ArrayList<>();
                for (String sql : missing) {
                    if (batch.executeUpdate(sql) == 0) {
                        still.add(sql);
                    }
                }
                missing = still;
            }
            if (!missing.isEmpty()) {
                String first = missing.get(0);
                throw new ApplyException("XX000", "row not found on node: nodes may have diverged (" + missing.size()
                        + " statement(s) matched no row, first: " + abbreviate(first) + ")");
            }
        }

        private void rollbackQuietly() {
            if (connection == null) {
                return;
            }
            try (Statement s = connection.createStatement()) {
                s.execute("ROLLBACK");
            } catch (SQLException e) {
                log.warn("apply worker {}: ROLLBACK failed ({}); reconnecting", number, e.toString());
                closeQuietly(connection);
                connection = null;
            }
        }
    }

    /** A statement of a replayed transaction, and the SQL to report when it is an UPDATE/DELETE that found no row. */
    private record Step(String sql, String check) {
    }

    private static String abbreviate(String sql) {
        return sql.length() <= 200 ? sql : sql.substring(0, 200) + "…";
    }
}
