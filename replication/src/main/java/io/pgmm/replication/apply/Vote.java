package io.pgmm.replication.apply;

import java.util.Objects;

/**
 * A node's answer to a peer's Prepare: yes (the transaction is prepared here under the same gid) or no, with the
 * SQLSTATE the origin's client should get ({@code 40001} for conflicts, so drivers retry) and a message.
 */
public record Vote(boolean accepted, String sqlState, String message) {

    private static final Vote YES = new Vote(true, null, null);

    public Vote {
        if (!accepted) {
            Objects.requireNonNull(sqlState, "sqlState");
            Objects.requireNonNull(message, "message");
            if (sqlState.length() != 5) {
                throw new IllegalArgumentException("SQLSTATE must have 5 characters, got " + sqlState);
            }
        } else if (sqlState != null || message != null) {
            throw new IllegalArgumentException("a yes vote has no SQLSTATE or message");
        }
    }

    public static Vote yes() {
        return YES;
    }

    public static Vote no(String sqlState, String message) {
        return new Vote(false, sqlState, message);
    }

    @Override
    public String toString() {
        return accepted ? "Yes" : "No[" + sqlState + ": " + message + "]";
    }
}
