package io.pgmm.replication.capture;

/**
 * Receives this node's own transactions from {@link ChangeCapture}, message by message.
 *
 * <p>Every call is made on the capture thread, one at a time, in slot order. A call that blocks stops reading
 * from the slot: that is the intended backpressure (memory stays bounded), but while it blocks no status goes to
 * the walsender; a block longer than PostgreSQL's {@code wal_sender_timeout} ends the stream, and capture
 * reconnects (see {@link #streamRestarted}). A call that throws also makes capture reconnect. Calls may throw
 * {@link InterruptedException} when {@link ChangeCapture#close()} interrupts them.
 *
 * <p>For one delivered transaction the calls are: {@link #beginPrepare}, then {@link #change} for every message
 * of it (each relation's Relation message before its first change, so the sequence is self-contained), then
 * {@link #prepared}; later, possibly after other transactions, {@link #commitPrepared} or
 * {@link #rollbackPrepared}.
 */
public interface CaptureListener {

    /** A transaction of this node, prepared with {@code gid}, starts; changes follow. */
    void beginPrepare(String gid, long prepareLsn) throws InterruptedException;

    /**
     * One raw pgoutput message of the transaction: Relation 'R', Insert 'I', Update 'U', Delete 'D', Truncate 'T',
     * or a transactional logical message 'M' with a {@code pgmm.} prefix. The array is the caller's to keep.
     */
    void change(String gid, byte[] rawPgoutputMessage) throws InterruptedException;

    /** The transaction's PREPARE was decoded: every change has been delivered. */
    void prepared(String gid, long prepareLsn, long endLsn) throws InterruptedException;

    /** COMMIT PREPARED of one of this node's gids was decoded. */
    void commitPrepared(String gid, long endLsn) throws InterruptedException;

    /** ROLLBACK PREPARED of one of this node's gids was decoded. */
    void rollbackPrepared(String gid, long endLsn) throws InterruptedException;

    /**
     * A transaction committed without two-phase commit and changed published tables: someone wrote to
     * PostgreSQL without going through the sidecar (a direct connection, CALL/DO with their own COMMIT). Its
     * changes are not replicated; the owner raises an alarm.
     */
    void localCommitWithoutGid(long xid, long commitLsn) throws InterruptedException;

    /**
     * A transaction was prepared with a gid that is not a pgmm gid (a direct {@code PREPARE TRANSACTION} on
     * PostgreSQL); its changes are not replicated. Alarm, as for {@link #localCommitWithoutGid}.
     */
    default void foreignPrepare(String gid, long xid, long prepareLsn) throws InterruptedException {
    }

    /**
     * The stream was (re)started from the slot's confirmed position: anything delivered after the last
     * {@link ChangeCapture#confirm confirmed} LSN may come again, from its {@link #beginPrepare}. Drop partial
     * transactions; a repeated beginPrepare of a gid already handled replaces the earlier delivery.
     */
    default void streamRestarted() throws InterruptedException {
    }
}
