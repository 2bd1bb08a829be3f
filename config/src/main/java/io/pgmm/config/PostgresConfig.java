package io.pgmm.config;

import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The node's local PostgreSQL.
 *
 * @param mode          {@link PostgresMode#MANAGED} (default) or {@link PostgresMode#EXTERNAL}
 * @param host          where PostgreSQL listens (default {@value #DEFAULT_HOST}); for a managed server this is
 *                      also its {@code listen_addresses}
 * @param port          default {@code listen.port + }{@value #MANAGED_PORT_OFFSET} when managed,
 *                      {@value #DEFAULT_EXTERNAL_PORT} when external
 * @param user          the superuser pgmm connects as (default {@value #DEFAULT_USER}); initdb creates it when managed
 * @param binDir        folder with initdb, pg_ctl and postgres; {@code null} = find one (managed only)
 * @param trustLoopback managed only: pg_hba trusts 127.0.0.1/32 and ::1/128 (a local development cluster);
 *                      otherwise TCP connections use scram-sha-256
 * @param settings      extra postgresql.conf settings for a managed server, sorted by name; empty when external
 */
public record PostgresConfig(PostgresMode mode, String host, int port, String user, Path binDir,
                             boolean trustLoopback, Map<String, String> settings) {

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final String DEFAULT_USER = "postgres";
    public static final int DEFAULT_EXTERNAL_PORT = 5432;
    public static final int MANAGED_PORT_OFFSET = 10_000;

    public PostgresConfig {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(user, "user");
        settings = Collections.unmodifiableMap(new TreeMap<>(Objects.requireNonNull(settings, "settings")));
    }
}
