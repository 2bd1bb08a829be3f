package io.pgmm.config;

import java.util.Objects;

/**
 * A configuration that cannot be used. The message always starts with the path of the field at fault
 * ({@code listen.port}, {@code clients.allow[2]}, {@code postgres.settings.work_mem}), then says what is wrong
 * and what to do, e.g. {@code "listen.port: must be between 1 and 65535, got 70000"}.
 *
 * <p>Problems with the document as a whole (unreadable file, YAML syntax error, not a mapping) use the field
 * {@value #DOCUMENT}.
 */
public final class ConfigException extends Exception {

    private static final long serialVersionUID = 1L;

    /** The field named by errors that concern the whole document rather than one key. */
    public static final String DOCUMENT = "document";

    private final String field;

    public ConfigException(String field, String problem) {
        this(field, problem, null);
    }

    public ConfigException(String field, String problem, Throwable cause) {
        super(Objects.requireNonNull(field, "field") + ": " + Objects.requireNonNull(problem, "problem"), cause);
        this.field = field;
    }

    /** The path of the offending field, dotted, with list indexes in brackets: {@code clients.allow[1]}. */
    public String field() {
        return field;
    }
}
