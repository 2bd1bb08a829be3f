package io.pgmm.replication.capture;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A throw-away PostgreSQL for tests (replication/ cannot use server/'s PostgresManager): initdb into
 * /tmp/pgmm-repl-XXXX, logical decoding and two-phase commit on, fsync off, trust on 127.0.0.1, started with
 * {@code pg_ctl -w}. As root every program runs as {@code postgres} via runuser. Close it to stop it and delete
 * its folder; a shutdown hook stops it if the JVM exits first.
 */
public final class TestPostgres implements AutoCloseable {

    private final Path dir;
    private final Path pgdata;
    private final int port;
    private final Path bin;
    private final Thread hook;

    private TestPostgres(Path dir, int port, Path bin) {
        this.dir = dir;
        this.pgdata = dir.resolve("pgdata");
        this.port = port;
        this.bin = bin;
        this.hook = new Thread(this::stopQuietly, "stop-test-postgres-" + port);
    }

    public static TestPostgres start() throws IOException {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "pgmm-repl-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        TestPostgres pg = new TestPostgres(dir, freePort(), bindir());
        try {
            pg.init();
        } catch (IOException | RuntimeException e) {
            pg.close();
            throw e;
        }
        return pg;
    }

    private void init() throws IOException {
        if (isRoot()) {
            run(List.of("chown", "postgres:postgres", dir.toString()), false);
        }
        run(List.of(bin.resolve("initdb").toString(), "-D", pgdata.toString(), "-U", "postgres", "--auth=trust",
                "-E", "UTF8", "--locale=C", "--no-sync"), true);
        String conf = "\nlisten_addresses = '127.0.0.1'\nport = " + port + "\nunix_socket_directories = '" + dir + "'\n"
                + "wal_level = logical\nmax_prepared_transactions = 100\nmax_replication_slots = 10\n"
                + "max_wal_senders = 10\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\n";
        Files.writeString(pgdata.resolve("postgresql.conf"), conf, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        Runtime.getRuntime().addShutdownHook(hook);
        run(List.of(bin.resolve("pg_ctl").toString(), "-D", pgdata.toString(), "-l", dir.resolve("postgres.log").toString(),
                "-w", "-t", "60", "start"), true);
    }

    public int port() {
        return port;
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    }

    public Properties props() {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        return p;
    }

    public Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl(), props());
    }

    /** Runs statements in autocommit. */
    public void exec(String... sql) throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            for (String q : sql) {
                s.execute(q);
            }
        }
    }

    /** The first column of the first row, as text (null if no row). */
    public String queryString(String sql) throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    @Override
    public void close() {
        stopQuietly();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException | IllegalArgumentException ignored) {
            // shutting down, or never registered
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a leftover folder in /tmp
        }
    }

    private void stopQuietly() {
        if (Files.exists(pgdata.resolve("postmaster.pid"))) {
            try {
                run(List.of(bin.resolve("pg_ctl").toString(), "-D", pgdata.toString(), "-m", "immediate", "-w", "stop"), true);
            } catch (IOException | RuntimeException ignored) {
                // best effort
            }
        }
    }

    private static void run(List<String> command, boolean asPostgres) throws IOException {
        List<String> full = new ArrayList<>();
        if (asPostgres && isRoot()) {
            full.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        full.addAll(command);
        Process p = new ProcessBuilder(full).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("command failed: " + String.join(" ", full) + "\n" + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + full, e);
        }
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static Path bindir() throws IOException {
        Process p = new ProcessBuilder("pg_config", "--bindir").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        Path bin = Path.of(out);
        if (Files.isExecutable(bin.resolve("initdb"))) {
            return bin;
        }
        try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
            return versions.sorted(Comparator.reverseOrder()).map(v -> v.resolve("bin"))
                    .filter(b -> Files.isExecutable(b.resolve("initdb"))).findFirst()
                    .orElseThrow(() -> new IOException("no PostgreSQL binaries found (pg_config --bindir: " + out + ")"));
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
