package io.pgmm.config;

/**
 * How this node takes part in distributed commits.
 *
 * @param applyWorkers           backend connections replaying peers' transactions in parallel
 * @param applyQueueLength       peers' transactions that may wait for a worker before their origin is made to wait
 * @param readConsistency        see {@link ReadConsistency}
 * @param prepareTimeoutMillis   how long an origin waits for every vote before it aborts (40001)
 * @param applyLockTimeoutMillis how long an apply waits for a row lock before it votes No
 * @param maxNodes               sequences are strided by this, so keys from different nodes never collide
 * @param database               the database that is replicated (logical decoding is per database); sessions on
 *                               other databases are relayed unreplicated
 */
public record ReplicationConfig(int applyWorkers, int applyQueueLength, ReadConsistency readConsistency,
                                long prepareTimeoutMillis, long applyLockTimeoutMillis, int maxNodes, String database) {

    public static final int DEFAULT_APPLY_WORKERS = 8;
    public static final int DEFAULT_APPLY_QUEUE_LENGTH = 64;
    public static final long DEFAULT_PREPARE_TIMEOUT_MILLIS = 30_000;
    public static final long DEFAULT_APPLY_LOCK_TIMEOUT_MILLIS = 500;
    public static final int DEFAULT_MAX_NODES = 16;
    public static final String DEFAULT_DATABASE = "postgres";

    public static ReplicationConfig defaults() {
        return new ReplicationConfig(DEFAULT_APPLY_WORKERS, DEFAULT_APPLY_QUEUE_LENGTH, ReadConsistency.GLOBAL,
                DEFAULT_PREPARE_TIMEOUT_MILLIS, DEFAULT_APPLY_LOCK_TIMEOUT_MILLIS, DEFAULT_MAX_NODES, DEFAULT_DATABASE);
    }
}
