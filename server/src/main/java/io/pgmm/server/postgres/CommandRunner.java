package io.pgmm.server.postgres;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs PostgreSQL's programs (initdb, pg_ctl, postgres) as the right operating-system user.
 *
 * <p>PostgreSQL refuses to run as root. When this JVM runs as uid 0, every command is run as the {@value #RUN_USER}
 * user through {@code runuser -u postgres --} (util-linux), or {@code setpriv --reuid=postgres --regid=postgres
 * --init-groups} when runuser is missing. Never sudo. As any other user, commands run directly.
 *
 * <p>Output goes to a file, not a pipe: pg_ctl leaves a postmaster behind, and a pipe it inherited would never reach
 * end-of-file.
 */
final class CommandRunner {

    static final String RUN_USER = "postgres";
    private static final int OUTPUT_TAIL_LINES = 30;

    record Result(List<String> command, int exitCode, String output) {
        boolean succeeded() {
            return exitCode == 0;
        }

        String outputTail() {
            return tail(output, OUTPUT_TAIL_LINES);
        }
    }

    private final List<String> prefix;

    private CommandRunner(List<String> prefix) {
        this.prefix = List.copyOf(prefix);
    }

    /** A runner for this process: through runuser/setpriv as {@value #RUN_USER} when root, directly otherwise. */
    static CommandRunner forCurrentUser() {
        if (!isRoot()) {
            return new CommandRunner(List.of());
        }
        if (onPath("runuser")) {
            return new CommandRunner(List.of("runuser", "-u", RUN_USER, "--"));
        }
        if (onPath("setpriv")) {
            return new CommandRunner(List.of("setpriv", "--reuid=" + RUN_USER, "--regid=" + RUN_USER, "--init-groups"));
        }
        throw new PostgresException("running as root, and neither runuser nor setpriv (util-linux) is on PATH:"
                + " PostgreSQL refuses to run as root; install util-linux, or run pgmm as a normal user");
    }

    /** Whether commands run as another user (then files they use must be owned by or readable to that user). */
    boolean switchesUser() {
        return !prefix.isEmpty();
    }

    /** Runs {@code command} in {@code workDir}, waiting at most {@code timeoutMillis}; never throws for a non-zero exit. */
    Result run(List<String> command, Path workDir, long timeoutMillis) {
        List<String> full = new ArrayList<>(prefix);
        full.addAll(command);
        Path outputFile = null;
        try {
            outputFile = Files.createTempFile("pgmm-cmd-", ".out");
            ProcessBuilder builder = new ProcessBuilder(full)
                    .directory(workDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(outputFile.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            Map<String, String> env = builder.environment();
            // Keep libpq variables of the caller from steering our commands elsewhere.
            env.keySet().removeIf(name -> name.startsWith("PG"));
            env.put("LC_ALL", "C");
            Process process = builder.start();
            if (!process.waitFor(timeoutMillis, TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
                String output = Files.readString(outputFile, StandardCharsets.UTF_8);
                return new Result(full, -1, output + "\n(pgmm: killed after " + timeoutMillis + " ms)");
            }
            return new Result(full, process.exitValue(), Files.readString(outputFile, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new PostgresException("cannot run " + String.join(" ", full) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PostgresException("interrupted while running " + String.join(" ", full), e);
        } finally {
            if (outputFile != null) {
                try {
                    Files.deleteIfExists(outputFile);
                } catch (IOException ignored) {
                    // a leftover temp file is harmless
                }
            }
        }
    }

    static boolean isRoot() {
        try {
            Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            return uid instanceof Integer i && i == 0;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    static boolean onPath(String program) {
        return findOnPath(program) != null;
    }

    static Path findOnPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String dir : path.split(":")) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, program);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    static String tail(String text, int lines) {
        List<String> all = text.lines().toList();
        List<String> last = all.subList(Math.max(0, all.size() - lines), all.size());
        return String.join("\n", last);
    }
}
