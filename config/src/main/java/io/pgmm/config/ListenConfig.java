package io.pgmm.config;

import java.util.Objects;

/** Where the sidecar accepts PostgreSQL clients. Defaults: {@value #DEFAULT_HOST}, port {@value #DEFAULT_PORT}. */
public record ListenConfig(String host, int port) {

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 6432;

    public ListenConfig {
        Objects.requireNonNull(host, "host");
    }
}
