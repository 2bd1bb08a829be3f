package io.pgmm.replication.apply;

import java.sql.Statement;
import java.util.ArrayDeque;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A peer's transaction being replayed here, from {@link ApplyService#begin}. The owner calls {@link #append} for
 * every raw pgoutput message in order, then {@link #prepare()} (or {@link #abort()}). A worker replays the
 * messages as they arrive; messages wait in a buffer bounded by {@code maxBufferedBytes}, and {@code append}
 * blocks while it is full, so a transaction of any size passes in bounded memory.
 *
 * <p>Thread-safe. Lifecycle: {@link State}, with the transitions in {@code NEXT}.
 */
public final class RemoteTransaction {

    /** Where the transaction is. */
    public enum State {
        /** Waiting for a worker. */
        QUEUED,
        /** A worker replays its changes. */
        APPLYING,
        /** Prepared here: voted yes; the decision comes through {@link ApplyService#decide}. */
        PREPARED,
        /** Rolled back here: voted no. */
        FAILED,
        /** Dropped by {@link #abort()} before it was prepared. */
        ABORTED;

        private static final Map<State, Set<State>> NEXT = Map.of(
                QUEUED, EnumSet.of(APPLYING, ABORTED),
                APPLYING, EnumSet.of(PREPARED, FAILED, ABORTED),
                PREPARED, EnumSet.noneOf(State.class),
                FAILED, EnumSet.noneOf(State.class),
                ABORTED, EnumSet.noneOf(State.class));

        State to(State next) {
            if (!NEXT.get(this).contains(next)) {
                throw new IllegalStateException("remote transaction cannot go from " + this + " to " + next);
            }
            return next;
        }

        boolean finished() {
            return this == PREPARED || this == FAILED || this == ABORTED;
        }
    }

    /** What a worker takes next besides a message. */
    enum Marker { PREPARE, ABORT }

    private final String gid;
    private final long maxBufferedBytes;
    private final ApplyService service;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<byte[]> buffer = new ArrayDeque<>();
    private final CompletableFuture<Vote> vote = new CompletableFuture<>();
    private final CompletableFuture<Void> aborted = new CompletableFuture<>();
    private final CompletableFuture<?> predecessors;
    private long bufferedBytes;
    private boolean prepareRequested;
    private boolean abortRequested;
    private State state = State.QUEUED;
    private volatile Statement running;

    RemoteTransaction(String gid, long maxBufferedBytes, ApplyService service, CompletableFuture<?> predecessors) {
        this.gid = gid;
        this.predecessors = predecessors;
        this.maxBufferedBytes = maxBufferedBytes;
        this.service = service;
    }

    public String gid() {
        return gid;
    }

    public State state() {
        lock.lock();
        try {
            return state;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Adds the next raw pgoutput message (Relation before a relation's first change; Insert, Update, Delete,
     * Truncate; Message 'M' with prefix {@code pgmm.ddl}). Blocks while the buffer is full. After the apply has
     * failed or was aborted, messages are dropped (the vote is already known).
     *
     * @throws IllegalStateException after {@link #prepare()}
     */
    public void append(byte[] rawPgoutputMessage) throws InterruptedException {
        lock.lock();
        try {
            if (prepareRequested) {
                throw new IllegalStateException("append to " + gid + " after prepare()");
            }
            while (!state.finished() && !abortRequested && bufferedBytes > 0
                    && bufferedBytes + rawPgoutputMessage.length > maxBufferedBytes) {
                changed.await();
            }
            if (state.finished() || abortRequested) {
                return;
            }
            buffer.addLast(rawPgoutputMessage);
            bufferedBytes += rawPgoutputMessage.length;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * No more messages: replay what is left, record the gid in {@code pgmm.applied_xacts}, PREPARE TRANSACTION
     * with the gid. The future completes with {@link Vote#yes()} once prepared here, or a No (the transaction was
     * rolled back here and nothing of it remains). Calling it again returns the same future.
     */
    public CompletableFuture<Vote> prepare() {
        lock.lock();
        try {
            prepareRequested = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        return vote;
    }

    /** The vote, once {@link #prepare()} was called and the apply ended. */
    public CompletableFuture<Vote> vote() {
        return vote;
    }

    /**
     * Drops the transaction: a queued one never starts, a running one is cancelled and rolled back, a prepared
     * one is rolled back with ROLLBACK PREPARED. The future completes when nothing of it remains here; its vote,
     * if still open, becomes No (40001).
     */
    public CompletableFuture<Void> abort() {
        return abort(false);
    }

    /**
     * Aborts the transaction as {@link #abort()} does, but only while it is queued or being applied: a prepared
     * one may have voted yes, and only its origin may then decide it. True when it was aborted.
     */
    public boolean cancelUnprepared() {
        return abort(true) != null;
    }

    /** The abort; null, doing nothing, when {@code onlyUnprepared} and the transaction is past applying. */
    private CompletableFuture<Void> abort(boolean onlyUnprepared) {
        boolean wasPrepared;
        lock.lock();
        try {
            if (onlyUnprepared && state != State.QUEUED && state != State.APPLYING) {
                return null;
            }
            wasPrepared = state == State.PREPARED;
            if (!state.finished()) {
                abortRequested = true;
                buffer.clear();
                bufferedBytes = 0;
                changed.signalAll();
                if (state == State.QUEUED) {
                    state = state.to(State.ABORTED);
                    vote.complete(Vote.no("40001", "transaction " + gid + " was aborted before it was applied"));
                    aborted.complete(null);
                    service.finished(this);
                }
            } else if (!wasPrepared) {
                aborted.complete(null);
            }
        } finally {
            lock.unlock();
        }
        if (wasPrepared) {
            return service.decide(gid, false);
        }
        Statement s = running;
        if (s != null) {
            try {
                s.cancel();
            } catch (Exception e) {
                // the statement ended meanwhile; the worker sees abortRequested
            }
        }
        return aborted;
    }

    // ---------------------------------------------------------------------------------------------------------
    // worker side

    /** Waits (bounded) until the transactions this one may build on are committed here. */
    void awaitPredecessors(long timeoutMillis) {
        try {
            predecessors.get(timeoutMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            // Replay anyway: what it needs may be there already, and if not it votes no.
        }
    }

    /** The worker takes the transaction; false when it was aborted while queued. */
    boolean start() {
        lock.lock();
        try {
            if (state != State.QUEUED) {
                return false;
            }
            state = state.to(State.APPLYING);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** The next message (byte[]) or {@link Marker}; blocks until there is one. */
    Object take() throws InterruptedException {
        lock.lock();
        try {
            while (true) {
                if (abortRequested) {
                    return Marker.ABORT;
                }
                byte[] next = buffer.pollFirst();
                if (next != null) {
                    bufferedBytes -= next.length;
                    changed.signalAll();
                    return next;
                }
                if (prepareRequested) {
                    return Marker.PREPARE;
                }
                changed.await();
            }
        } finally {
            lock.unlock();
        }
    }

    /** True when there is no message waiting right now (a good moment to send a batch). */
    boolean nothingBuffered() {
        lock.lock();
        try {
            return buffer.isEmpty();
        } finally {
            lock.unlock();
        }
    }

    boolean abortRequested() {
        lock.lock();
        try {
            return abortRequested;
        } finally {
            lock.unlock();
        }
    }

    void running(Statement statement) {
        running = statement;
    }

    /** The worker is done: PREPARED, FAILED or ABORTED, with the vote. */
    void finish(State end, Vote result) {
        lock.lock();
        try {
            state = state.to(end);
            buffer.clear();
            bufferedBytes = 0;
            running = null;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        vote.complete(result);
        if (end == State.ABORTED || end == State.FAILED) {
            aborted.complete(null);
        }
    }

    @Override
    public String toString() {
        return "RemoteTransaction[" + gid + ", " + state() + "]";
    }
}
