package io.pgmm.config;

/**
 * Bounds on what one node accepts.
 *
 * @param maxMessageBytes      largest protocol message accepted from a client, length word included; the default
 *                             ({@value #DEFAULT_MAX_MESSAGE_BYTES} = 1 GiB + 64 KiB) lets a 1 GB bytea through
 * @param maxConnections       client connections served at once; one more is refused with SQLSTATE 53300
 * @param shutdownGraceMillis  how long a shutdown waits for sessions to finish before closing them
 * @param startupTimeoutMillis how long a managed PostgreSQL may take to start
 */
public record LimitsConfig(int maxMessageBytes, int maxConnections, long shutdownGraceMillis, int startupTimeoutMillis) {

    public static final int DEFAULT_MAX_MESSAGE_BYTES = 1_073_741_824 + 65_536;
    public static final int MIN_MAX_MESSAGE_BYTES = 4096;
    public static final int DEFAULT_MAX_CONNECTIONS = 1000;
    public static final long DEFAULT_SHUTDOWN_GRACE_MILLIS = 10_000;
    public static final int DEFAULT_STARTUP_TIMEOUT_MILLIS = 60_000;

    public static LimitsConfig defaults() {
        return new LimitsConfig(DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_CONNECTIONS,
                DEFAULT_SHUTDOWN_GRACE_MILLIS, DEFAULT_STARTUP_TIMEOUT_MILLIS);
    }
}
