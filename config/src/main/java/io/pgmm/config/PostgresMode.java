package io.pgmm.config;

/** Who runs the node's local PostgreSQL. Written in lower case in YAML ({@code mode: managed}). */
public enum PostgresMode {
    /** pgmm runs initdb (once) and starts and stops PostgreSQL itself; its data lives in {@code <dataDir>/pgdata}. */
    MANAGED,
    /** PostgreSQL already runs at {@code host:port}, started and configured by someone else. */
    EXTERNAL
}
