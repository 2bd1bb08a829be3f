package io.pgmm.replication.apply;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The content of a {@code pg_logical_emit_message(true, 'pgmm.ddl', content)} message: a DDL statement and the
 * session settings it ran under on the origin. Text, UTF-8:
 *
 * <pre>
 * pgmm-ddl/1
 * search_path: "$user", public
 * role: alice
 *
 * CREATE TABLE t (id int PRIMARY KEY)
 * </pre>
 *
 * Header lines end at the first empty line; {@code search_path} and {@code role} are optional (an absent or empty
 * value means the apply session's own). Content without the first line {@code pgmm-ddl/1} is taken as bare SQL.
 * The apply runs it as {@code SET LOCAL search_path}/{@code SET LOCAL ROLE}, the statement, then both back to the
 * session's values, inside the replayed transaction.
 */
public record DdlMessage(String sql, String searchPath, String role) {

    public static final String PREFIX = "pgmm.ddl";
    static final String MAGIC = "pgmm-ddl/1";

    public DdlMessage {
        Objects.requireNonNull(sql, "sql");
        searchPath = searchPath == null || searchPath.isBlank() ? null : searchPath;
        role = role == null || role.isBlank() ? null : role;
        if ((searchPath != null && searchPath.indexOf('\n') >= 0) || (role != null && role.indexOf('\n') >= 0)) {
            throw new IllegalArgumentException("search_path and role cannot contain a newline");
        }
    }

    public byte[] encode() {
        StringBuilder b = new StringBuilder(MAGIC).append('\n');
        if (searchPath != null) {
            b.append("search_path: ").append(searchPath).append('\n');
        }
        if (role != null) {
            b.append("role: ").append(role).append('\n');
        }
        return b.append('\n').append(sql).toString().getBytes(StandardCharsets.UTF_8);
    }

    public static DdlMessage parse(byte[] content) {
        String text = new String(content, StandardCharsets.UTF_8);
        if (!text.startsWith(MAGIC + "\n")) {
            return new DdlMessage(text, null, null);
        }
        int pos = MAGIC.length() + 1;
        String searchPath = null;
        String role = null;
        while (true) {
            int end = text.indexOf('\n', pos);
            if (end < 0) {
                throw new IllegalArgumentException("pgmm.ddl message: header without the empty line that ends it");
            }
            String line = text.substring(pos, end);
            pos = end + 1;
            if (line.isEmpty()) {
                break;
            }
            if (line.startsWith("search_path: ")) {
                searchPath = line.substring("search_path: ".length());
            } else if (line.startsWith("role: ")) {
                role = line.substring("role: ".length());
            } else {
                throw new IllegalArgumentException("pgmm.ddl message: unknown header line '" + line + "'");
            }
        }
        return new DdlMessage(text.substring(pos), searchPath, role);
    }
}
