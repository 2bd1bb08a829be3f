package io.pgmm.server.postgres;

/**
 * Managing the local PostgreSQL failed: binaries not found, initdb or pg_ctl failed, the server did not become ready.
 * The message names the step that failed and what to look at; for a failed command it ends with the tail of the
 * command's output and of the server log.
 */
public final class PostgresException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public PostgresException(String message) {
        super(message);
    }

    public PostgresException(String message, Throwable cause) {
        super(message, cause);
    }
}
