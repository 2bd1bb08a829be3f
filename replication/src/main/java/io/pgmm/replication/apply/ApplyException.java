package io.pgmm.replication.apply;

/** An apply that cannot go on: becomes a No vote with this SQLSTATE and message. */
final class ApplyException extends RuntimeException {

    private final String sqlState;

    ApplyException(String sqlState, String message) {
        super(message);
        this.sqlState = sqlState;
    }

    String sqlState() {
        return sqlState;
    }
}
