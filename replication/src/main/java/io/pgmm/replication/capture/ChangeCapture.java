package io.pgmm.replication.capture;

import io.pgmm.replication.pgoutput.MalformedMessageException;
import io.pgmm.replication.pgoutput.PgOutputDecoder;
import io.pgmm.replication.pgoutput.PgOutputMessage;
import io.pgmm.replication.pgoutput.PgOutputMessage.Type;
import org.postgresql.PGConnection;
import org.postgresql.PGProperty;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reads this node's logical slot {@code pgmm_<nodeId>} (pgoutput proto 3, two_phase, messages) on a thread of its
 * own and hands this node's transactions to a {@link CaptureListener}, message by message.
 *
 * <pre>
 *  slot ──► readPending() ──► decode type ──┬─ 'b' gid pgmm:&lt;me&gt;:…      ─► beginPrepare, then every change
 *                                           │                               (R before a relation's first change), prepared
 *                                           ├─ 'b' gid pgmm:&lt;peer&gt;:…    ─► skipped to its 'P' (a peer's transaction applied here)
 *                                           ├─ 'b' other gid            ─► skipped, foreignPrepare (alarm)
 *                                           ├─ 'B' … 'C' with changes   ─► localCommitWithoutGid (alarm)
 *                                           ├─ 'K' / 'r' of my gids     ─► commitPrepared / rollbackPrepared
 *                                           └─ 'R'                      ─► relation cache (pgoutput sends it once per session)
 * </pre>
 *
 * <p><b>Memory.</b> Nothing is held per transaction except the set of relations already sent in it: each message
 * is delivered as it is read, so a transaction of any size passes in bounded memory. PostgreSQL decodes a
 * transaction when its PREPARE is decoded (spilling beyond {@code logical_decoding_work_mem} to disk) and then
 * sends it message by message. pgoutput's {@code streaming} option is not used yet (see the package README gap).
 *
 * <p><b>Feedback.</b> The thread blocks in pgjdbc's {@code read()}, whose socket timeout is {@code statusInterval}:
 * pgjdbc sends a status update at least that often and answers the walsender's keepalives while it waits. (It used
 * to poll {@code readPending()}, which costs a 1 ms timed read and a pause per empty poll: about 3 % of a core per
 * node doing nothing, and up to 2 ms on every transaction's path.) The flushed/applied LSN it reports is what the
 * owner last passed to {@link #confirm}, set on the stream at once; {@link #safeConfirmLsn()} computes the
 * furthest LSN that loses no undecided prepare. On any stream error the connection is closed and reopened with
 * backoff (100 ms doubling to 5 s); the listener hears {@link CaptureListener#streamRestarted()}.
 */
public final class ChangeCapture implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ChangeCapture.class);
    private static final long MIN_BACKOFF_MILLIS = 100;
    private static final long MAX_BACKOFF_MILLIS = 5_000;
    private static final String DDL_PREFIX = "pgmm.";

    /** What the capture thread is inside of. */
    private enum TxKind {
        /** Between transactions. */
        NONE,
        /** A two-phase transaction of this node: delivered. */
        OURS,
        /** A peer's transaction applied here, or a foreign gid: skipped. */
        SKIPPED,
        /** A transaction without two-phase commit: watched for changes, then reported. */
        PLAIN
    }

    private final String jdbcUrl;
    private final Properties props;
    private final int nodeId;
    private final String ownPrefix;
    private final String slotName;
    private final CaptureListener listener;
    private final Duration statusInterval;
    private final Thread thread;
    private final Map<String, Long> undecidedPrepareLsn = new ConcurrentHashMap<>();

    private volatile boolean running;
    private volatile long confirmedLsn;
    private final AtomicLong processedLsn = new AtomicLong();
    private volatile Connection connection;
    private volatile PGReplicationStream stream;
    /**
     * True while the thread waits for the slot's next message between transactions: then everything the stream
     * received has been handled, and the received LSN (which keepalives move on) is processed too.
     */
    private volatile boolean waitingBetweenTransactions;
    private volatile long lastMessageNanos = System.nanoTime();
    private volatile Throwable failure;

    // capture-thread state
    private final Map<Integer, byte[]> relations = new HashMap<>();
    private final Set<Integer> relationsSentInTx = new HashSet<>();
    private TxKind txKind = TxKind.NONE;
    private String txGid;
    private long txXid;
    private boolean txHasChanges;
    /** The relation id of pgmm.applied_xacts once a Relation message named it (0: no relation has that id). */
    private int appliedXactsRelationId;

    /**
     * @param jdbcUrl        the local PostgreSQL, e.g. {@code jdbc:postgresql://127.0.0.1:5432/app}
     * @param props          connection properties (user, password); replication properties are added
     * @param nodeId         this node; its slot is {@code pgmm_<nodeId>} and its gids start {@code pgmm:<nodeId>:}
     * @param statusInterval how often a status update goes to the walsender (well below wal_sender_timeout)
     */
    public ChangeCapture(String jdbcUrl, Properties props, int nodeId, CaptureListener listener, Duration statusInterval) {
        this.jdbcUrl = Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        this.props = new Properties();
        this.props.putAll(Objects.requireNonNull(props, "props"));
        this.nodeId = nodeId;
        this.slotName = NodeSetup.slotName(nodeId);
        this.ownPrefix = "pgmm:" + nodeId + ":";
        this.listener = Objects.requireNonNull(listener, "listener");
        this.statusInterval = Objects.requireNonNull(statusInterval, "statusInterval");
        if (statusInterval.toMillis() < 10) {
            throw new IllegalArgumentException("statusInterval must be at least 10 ms, got " + statusInterval);
        }
        PGProperty.REPLICATION.set(this.props, "database");
        PGProperty.PREFER_QUERY_MODE.set(this.props, "simple");
        PGProperty.ASSUME_MIN_SERVER_VERSION.set(this.props, "15");
        this.props.setProperty(PGProperty.APPLICATION_NAME.getName(), "pgmm-capture-" + nodeId);
        this.thread = new Thread(this::run, "pgmm-capture-" + nodeId);
        this.thread.setDaemon(true);
    }

    public ChangeCapture(String jdbcUrl, Properties props, int nodeId, CaptureListener listener) {
        this(jdbcUrl, props, nodeId, listener, Duration.ofSeconds(1));
    }

    /** Starts the capture thread. */
    public synchronized void start() {
        if (running || thread.getState() != Thread.State.NEW) {
            throw new IllegalStateException("capture of node " + nodeId + " already started");
        }
        running = true;
        thread.start();
    }

    /**
     * Lets the slot advance to {@code lsn}: reported as flushed and applied from the next status update on. The
     * owner must never confirm past the prepare LSN of a prepare it has not decided (PostgreSQL does not resend a
     * PREPARE behind the confirmed position); {@link #safeConfirmLsn()} is such an LSN. Going backwards is ignored.
     */
    public void confirm(long lsn) {
        synchronized (this) {
            if (Long.compareUnsigned(lsn, confirmedLsn) > 0) {
                confirmedLsn = lsn;
                report(stream, lsn);
            }
        }
    }

    private static void report(PGReplicationStream s, long lsn) {
        if (s != null) {
            // plain volatile fields in pgjdbc: the capture thread's next status update sends them
            s.setFlushedLSN(LogSequenceNumber.valueOf(lsn));
            s.setAppliedLSN(LogSequenceNumber.valueOf(lsn));
        }
    }

    /** The LSN last passed to {@link #confirm}. */
    public long confirmedLsn() {
        return confirmedLsn;
    }

    /**
     * Everything before this LSN has been read and handed to the listener (or skipped): the end of the last whole
     * transaction read, or the stream position when idle.
     */
    public long processedLsn() {
        PGReplicationStream s = stream;
        if (s != null && waitingBetweenTransactions) {
            long received = s.getLastReceiveLSN().asLong();
            // A message whose XLogData just set this LSN may not be handled yet, but its LSN is its transaction's
            // first record (or a COMMIT/ROLLBACK PREPARED record): the slot resends whatever starts at or after it.
            if (waitingBetweenTransactions) {
                advanceProcessed(received);
            }
        }
        return processedLsn.get();
    }

    /**
     * The furthest LSN the slot may safely be confirmed to, as far as capture can tell: {@link #processedLsn()},
     * but no further than the prepare LSN of any of this node's transactions whose COMMIT/ROLLBACK PREPARED has not
     * been decoded yet. The owner may hold it back further (e.g. until peers acknowledged).
     */
    public long safeConfirmLsn() {
        long safe = processedLsn();
        for (long lsn : undecidedPrepareLsn.values()) {
            if (Long.compareUnsigned(lsn, safe) < 0) {
                safe = lsn;
            }
        }
        return safe;
    }

    /** When the slot last sent a message ({@link System#nanoTime()}), skipped ones included. */
    public long lastMessageNanos() {
        return lastMessageNanos;
    }

    /** The error that stopped capture for good (a {@link MalformedMessageException}), or null. */
    public Throwable failure() {
        return failure;
    }

    public boolean isRunning() {
        return running && thread.isAlive();
    }

    /** Stops the thread (interrupting a blocked listener call) and closes the replication connection. */
    @Override
    public void close() {
        running = false;
        thread.interrupt();
        closeConnection(); // the thread may be blocked reading the socket: only closing it wakes the thread
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            log.warn("capture thread of node {} did not stop within 10 s", nodeId);
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    private void run() {
        long backoffMillis = MIN_BACKOFF_MILLIS;
        boolean first = true;
        while (running) {
            try {
                if (!first) {
                    listener.streamRestarted();
                }
                first = false;
                stream();
            } catch (InterruptedException e) {
                if (!running) {
                    break;
                }
                log.warn("capture of node {} interrupted; restarting the stream", nodeId);
            } catch (MalformedMessageException e) {
                failure = e;
                running = false;
                log.error("capture of node {} stopped: slot {} sent a message pgmm cannot decode", nodeId, slotName, e);
                break;
            } catch (RuntimeException e) {
                if (!running) {
                    break;
                }
                // Not the slot's fault (the message decoded): a bug or a passing state of the listener. The slot
                // resends from the confirmed position, so restarting loses nothing.
                log.error("capture of node {} failed to hand a message from slot {} on; restarting the stream in {} ms",
                        nodeId, slotName, backoffMillis, e);
            } catch (Exception e) {
                if (!running) {
                    break;
                }
                log.warn("capture of node {} lost its stream from slot {}: {}; reconnecting in {} ms", nodeId,
                        slotName, e.toString(), backoffMillis);
            } finally {
                closeConnection();
                resetSessionState();
            }
            if (!running) {
                break;
            }
            try {
                Thread.sleep(backoffMillis);
            } catch (InterruptedException e) {
                if (!running) {
                    break;
                }
            }
            backoffMillis = Math.min(MAX_BACKOFF_MILLIS, backoffMillis * 2);
        }
    }

    private void stream() throws SQLException, InterruptedException {
        Connection c = DriverManager.getConnection(jdbcUrl, props);
        connection = c;
        PGReplicationStream stream = c.unwrap(PGConnection.class).getReplicationAPI().replicationStream().logical()
                .withSlotName(slotName)
                .withSlotOption("proto_version", "3")
                .withSlotOption("publication_names", NodeSetup.PUBLICATION)
                .withSlotOption("two_phase", "on")
                .withSlotOption("messages", "true")
                .withStatusInterval(Math.toIntExact(statusInterval.toMillis()), TimeUnit.MILLISECONDS)
                .start();
        log.info("capture of node {} streaming from slot {}", nodeId, slotName);
        synchronized (this) {
            report(stream, confirmedLsn);
            this.stream = stream;
        }
        try {
            while (running) {
                waitingBetweenTransactions = txKind == TxKind.NONE;
                ByteBuffer buffer = stream.read();
                waitingBetweenTransactions = false;
                if (buffer == null) {
                    throw new SQLException("replication stream of slot " + slotName + " ended");
                }
                if (Thread.interrupted() && !running) {
                    throw new InterruptedException();
                }
                lastMessageNanos = System.nanoTime();
                byte[] raw = new byte[buffer.remaining()];
                buffer.get(raw);
                handle(raw);
            }
        } finally {
            waitingBetweenTransactions = false;
            this.stream = null;
        }
    }

    private void handle(byte[] raw) throws InterruptedException {
        Type type = PgOutputDecoder.peekType(raw);
        if (type == null) {
            throw new MalformedMessageException("pgoutput: unknown message type in a message of " + raw.length + " bytes");
        }
        switch (type) {
            case INSERT, UPDATE, DELETE -> {
                if (txKind == TxKind.OURS) {
                    sendRelationIfNeeded(PgOutputDecoder.changeRelationId(ByteBuffer.wrap(raw), false));
                    listener.change(txGid, raw);
                } else if (txKind != TxKind.PLAIN
                        || PgOutputDecoder.changeRelationId(ByteBuffer.wrap(raw), false) != appliedXactsRelationId) {
                    txHasChanges = true; // the pruning of pgmm's own bookkeeping is no unreplicated write
                }
            }
            case RELATION -> {
                PgOutputMessage.Relation r = (PgOutputMessage.Relation) PgOutputDecoder.decode(raw);
                if (NodeSetup.APPLIED_XACTS.equals(r.namespace() + "." + r.name())) {
                    appliedXactsRelationId = r.relationId();
                }
                relations.put(r.relationId(), raw);
                relationsSentInTx.remove(r.relationId()); // a new shape goes out again before its next change
            }
            case TRUNCATE -> {
                PgOutputMessage.Truncate t = (PgOutputMessage.Truncate) PgOutputDecoder.decode(raw);
                if (txKind == TxKind.OURS) {
                    for (int relid : t.relationIds()) {
                        sendRelationIfNeeded(relid);
                    }
                    listener.change(txGid, raw);
                } else {
                    txHasChanges = true;
                }
            }
            case MESSAGE -> {
                PgOutputMessage.LogicalMessage m = (PgOutputMessage.LogicalMessage) PgOutputDecoder.decode(raw);
                // In a transaction committed without two-phase commit, a pgmm message alone changed nothing
                // replicated: DDL the session captured that touched only temporary tables.
                if (m.transactional() && m.prefix().startsWith(DDL_PREFIX) && txKind == TxKind.OURS) {
                    listener.change(txGid, raw);
                }
            }
            case BEGIN -> {
                PgOutputMessage.Begin b = (PgOutputMessage.Begin) PgOutputDecoder.decode(raw);
                enter(TxKind.PLAIN, null, b.xid());
            }
            case COMMIT -> {
                PgOutputMessage.Commit c = (PgOutputMessage.Commit) PgOutputDecoder.decode(raw);
                expectIn(TxKind.PLAIN, type);
                boolean changed = txHasChanges;
                long xid = txXid;
                leave(c.endLsn());
                if (changed) {
                    log.warn("transaction {} committed on node {} without pgmm (commit lsn {}): its changes are not"
                            + " replicated", xid, nodeId, LogSequenceNumber.valueOf(c.commitLsn()));
                    listener.localCommitWithoutGid(xid, c.commitLsn());
                }
            }
            case BEGIN_PREPARE -> {
                PgOutputMessage.BeginPrepare b = (PgOutputMessage.BeginPrepare) PgOutputDecoder.decode(raw);
                if (b.gid().startsWith(ownPrefix)) {
                    enter(TxKind.OURS, b.gid(), Integer.toUnsignedLong(b.xid()));
                    undecidedPrepareLsn.put(b.gid(), b.prepareLsn());
                    listener.beginPrepare(b.gid(), b.prepareLsn());
                } else {
                    enter(TxKind.SKIPPED, b.gid(), Integer.toUnsignedLong(b.xid()));
                }
            }
            case PREPARE -> {
                PgOutputMessage.Prepare p = (PgOutputMessage.Prepare) PgOutputDecoder.decode(raw);
                TxKind kind = txKind;
                if (kind != TxKind.OURS && kind != TxKind.SKIPPED || !p.gid().equals(txGid)) {
                    throw new MalformedMessageException("pgoutput: Prepare of " + p.gid() + " while in " + kind
                            + " transaction " + txGid);
                }
                leave(p.endLsn());
                if (kind == TxKind.OURS) {
                    listener.prepared(p.gid(), p.prepareLsn(), p.endLsn());
                } else if (!p.gid().startsWith("pgmm:")) {
                    log.warn("transaction {} was prepared on node {} with foreign gid {}: its changes are not"
                            + " replicated", Integer.toUnsignedLong(p.xid()), nodeId, p.gid());
                    listener.foreignPrepare(p.gid(), Integer.toUnsignedLong(p.xid()), p.prepareLsn());
                }
            }
            case COMMIT_PREPARED -> {
                PgOutputMessage.CommitPrepared k = (PgOutputMessage.CommitPrepared) PgOutputDecoder.decode(raw);
                expectIn(TxKind.NONE, type);
                advanceProcessed(k.endLsn());
                if (k.gid().startsWith(ownPrefix)) {
                    undecidedPrepareLsn.remove(k.gid());
                    listener.commitPrepared(k.gid(), k.endLsn());
                }
            }
            case ROLLBACK_PREPARED -> {
                PgOutputMessage.RollbackPrepared r = (PgOutputMessage.RollbackPrepared) PgOutputDecoder.decode(raw);
                expectIn(TxKind.NONE, type);
                advanceProcessed(r.rollbackEndLsn());
                if (r.gid().startsWith(ownPrefix)) {
                    undecidedPrepareLsn.remove(r.gid());
                    listener.rollbackPrepared(r.gid(), r.rollbackEndLsn());
                }
            }
            case ORIGIN, TYPE -> {
                PgOutputDecoder.decode(raw); // validated; the gid tells the origin, and apply uses text values
            }
            case STREAM_START, STREAM_STOP, STREAM_COMMIT, STREAM_ABORT, STREAM_PREPARE ->
                    throw new MalformedMessageException("pgoutput: streamed message " + type
                            + " although streaming was not requested");
        }
    }

    private void sendRelationIfNeeded(int relid) throws InterruptedException {
        if (relationsSentInTx.add(relid)) {
            byte[] relation = relations.get(relid);
            if (relation == null) {
                throw new MalformedMessageException("pgoutput: change of relation " + relid
                        + " before its Relation message");
            }
            listener.change(txGid, relation.clone());
        }
    }

    private void enter(TxKind kind, String gid, long xid) {
        if (txKind != TxKind.NONE) {
            throw new MalformedMessageException("pgoutput: a transaction begins (" + kind + " " + gid + ") inside "
                    + txKind + " transaction " + (txGid != null ? txGid : txXid));
        }
        txKind = kind;
        txGid = gid;
        txXid = xid;
        txHasChanges = false;
        relationsSentInTx.clear();
    }

    private void expectIn(TxKind kind, Type type) {
        if (txKind != kind) {
            throw new MalformedMessageException("pgoutput: " + type + " while in " + txKind + " transaction");
        }
    }

    private void leave(long endLsn) {
        txKind = TxKind.NONE;
        txGid = null;
        txXid = 0;
        txHasChanges = false;
        relationsSentInTx.clear();
        advanceProcessed(endLsn);
    }

    private void advanceProcessed(long lsn) {
        // two threads advance it: this one, and processedLsn()'s caller while this one waits
        processedLsn.accumulateAndGet(lsn, (a, b) -> Long.compareUnsigned(a, b) >= 0 ? a : b);
    }

    private void resetSessionState() {
        relations.clear();
        relationsSentInTx.clear();
        txKind = TxKind.NONE;
        txGid = null;
        txXid = 0;
        txHasChanges = false;
    }

    private void closeConnection() {
        Connection c = connection;
        connection = null;
        if (c != null) {
            try {
                c.close();
            } catch (SQLException e) {
                log.debug("closing the replication connection of node {}: {}", nodeId, e.toString());
            }
        }
    }
}
