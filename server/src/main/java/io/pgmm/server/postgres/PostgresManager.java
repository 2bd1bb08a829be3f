package io.pgmm.server.postgres;

import io.pgmm.config.NodeConfig;
import io.pgmm.config.PostgresConfig;
import io.pgmm.config.PostgresMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;

/**
 * Runs one local PostgreSQL server: the node's own when {@code postgres.mode} is managed, or a bare server for a
 * test ({@link #forTest}).
 *
 * <pre>
 *  start()
 *    ├─ binaries: postgres.binDir │ pg_config --bindir │ /usr/lib/postgresql/NN │ embedded (see PostgresBinaries)
 *    ├─ &lt;dataDir&gt;/pgdata has no PG_VERSION? ─► initdb -U user --auth-local=trust --auth-host=scram-sha-256|trust
 *    │                                            -E UTF8 --locale=C --pwfile (random password, kept in
 *    │                                            &lt;dataDir&gt;/postgres.password)
 *    ├─ write pgdata/pgmm.conf (included from postgresql.conf) and pgdata/pg_hba.conf, at every start
 *    ├─ pg_ctl status: running already? ─► reuse it (scripts/cluster up twice)
 *    │                 otherwise       ─► pg_ctl -D pgdata -l &lt;dataDir&gt;/postgres.log -w -t N start
 *    └─ wait until a TCP connect and `select 1` over JDBC succeed
 *  stop() ─► pg_ctl -D pgdata -m fast -w stop   (immediate if fast does not finish)
 * </pre>
 *
 * <p>As root, every PostgreSQL program runs as the {@code postgres} user (see {@link CommandRunner}); pgdata, the
 * log file and the config files are owned by it, and every folder above pgdata must be searchable by it: folders
 * this class creates get {@code o+x}; for others, start fails naming the folder to fix.
 *
 * <p>Settings pgmm always writes (then {@code postgres.settings}, which win): {@code listen_addresses = host},
 * {@code port}, {@code unix_socket_directories} = pgdata (or {@code /tmp} if that path is too long for a socket),
 * {@code wal_level = logical}, {@code max_prepared_transactions = 1000} (local clients plus every peer's transactions in flight), {@code max_replication_slots = 16},
 * {@code max_wal_senders = 16}, {@code max_connections = 300}.
 *
 * <p>Thread-safe; methods that change the server are synchronized.
 */
public final class PostgresManager implements AutoCloseable {

    /** Name of the folder under the node's dataDir that holds PostgreSQL's data. */
    public static final String PGDATA = "pgdata";
    static final String PGMM_CONF = "pgmm.conf";
    static final String INCLUDE_LINE = "include = '" + PGMM_CONF + "'";
    static final Map<String, String> BASE_SETTINGS = baseSettings();

    private static final Logger log = LoggerFactory.getLogger(PostgresManager.class);
    private static final int LOG_TAIL_LINES = 40;
    private static final long INITDB_TIMEOUT_MILLIS = 180_000;
    private static final int MAX_SOCKET_PATH_CHARS = 100;

    /** Lifecycle of the managed server, with its legal transitions. */
    enum State {
        NEW, STARTING, RUNNING, STOPPING, STOPPED, FAILED;

        private static final Map<State, Set<State>> NEXT = Map.of(
                NEW, EnumSet.of(STARTING, STOPPING),
                STARTING, EnumSet.of(RUNNING, FAILED),
                RUNNING, EnumSet.of(STARTING, STOPPING),
                STOPPING, EnumSet.of(STOPPED, FAILED),
                STOPPED, EnumSet.of(STARTING, STOPPING),
                FAILED, EnumSet.of(STARTING, STOPPING));

        State to(State next) {
            if (!NEXT.get(this).contains(next)) {
                throw new IllegalStateException("PostgreSQL manager cannot go from " + this + " to " + next);
            }
            return next;
        }
    }

    private final PostgresConfig config;
    private final Path nodeDataDir;
    private final Path pgdata;
    private final Path logFile;
    private final Path passwordFile;
    private final int startupTimeoutMillis;
    private final CommandRunner runner;
    private PostgresBinaries binaries;
    private State state = State.NEW;
    private Thread shutdownHook;

    /**
     * @param config               must be {@link PostgresMode#MANAGED}
     * @param nodeDataDir          the node's {@code dataDir}; PostgreSQL's data goes to {@code nodeDataDir/pgdata}
     * @param startupTimeoutMillis how long start may wait for PostgreSQL to accept connections
     */
    public PostgresManager(PostgresConfig config, Path nodeDataDir, int startupTimeoutMillis) {
        this.config = Objects.requireNonNull(config, "config");
        if (config.mode() != PostgresMode.MANAGED) {
            throw new IllegalArgumentException("postgres.mode is " + config.mode() + "; only a managed PostgreSQL is run by pgmm");
        }
        if (startupTimeoutMillis < 1000) {
            throw new IllegalArgumentException("startupTimeoutMillis must be at least 1000, got " + startupTimeoutMillis);
        }
        this.nodeDataDir = Objects.requireNonNull(nodeDataDir, "nodeDataDir").toAbsolutePath().normalize();
        this.pgdata = this.nodeDataDir.resolve(PGDATA);
        this.logFile = this.nodeDataDir.resolve("postgres.log");
        this.passwordFile = this.nodeDataDir.resolve("postgres.password");
        this.startupTimeoutMillis = startupTimeoutMillis;
        this.runner = CommandRunner.forCurrentUser();
    }

    /** Same as {@link #PostgresManager(PostgresConfig, Path, int)} with the timeout as a {@link Duration}. */
    public PostgresManager(PostgresConfig config, Path nodeDataDir, Duration startupTimeout) {
        this(config, nodeDataDir, Math.toIntExact(Objects.requireNonNull(startupTimeout, "startupTimeout").toMillis()));
    }

    /** The manager of a node's managed PostgreSQL. */
    public static PostgresManager of(NodeConfig node) {
        return new PostgresManager(node.postgres(), node.dataDir(), node.limits().startupTimeoutMillis());
    }

    /**
     * A bare PostgreSQL for tests: managed, on 127.0.0.1:{@code port}, user postgres, loopback trusted (no password),
     * data in {@code dir/pgdata}. It runs with {@code fsync=off}, {@code synchronous_commit=off} and
     * {@code full_page_writes=off}, and initdb with {@code --no-sync}: fast, and a crash can lose data, so this is for
     * tests only, never for a node. Use it with try-with-resources or close it in {@code @AfterEach}/{@code @AfterAll};
     * a JVM shutdown hook also stops it if the test JVM exits first.
     */
    public static PostgresManager forTest(Path dir, int port) {
        PostgresConfig config = new PostgresConfig(PostgresMode.MANAGED, "127.0.0.1", port, "postgres", null, true,
                Map.of("fsync", "off", "synchronous_commit", "off", "full_page_writes", "off"));
        PostgresManager manager = new PostgresManager(config, dir, 60_000);
        manager.shutdownHook = new Thread(manager::stopQuietly, "pgmm-test-postgres-stop-" + port);
        Runtime.getRuntime().addShutdownHook(manager.shutdownHook);
        return manager;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Lifecycle

    /**
     * Initialises the data directory if it is new, writes the configuration, starts PostgreSQL (or reuses one already
     * running on this data directory) and waits until it answers {@code select 1}.
     *
     * @throws PostgresException naming the step that failed, with the tail of its output and of the server log
     */
    public synchronized void start() {
        state = state.to(State.STARTING);
        try {
            long startNanos = System.nanoTime();
            if (binaries == null) {
                binaries = PostgresBinaries.discover(config.binDir());
            }
            prepareDirectories();
            if (!Files.exists(pgdata.resolve("PG_VERSION"))) {
                initdb();
            }
            writeConfiguration();
            if (pgCtlStatusRunning()) {
                log.info("PostgreSQL already running on {}, reusing it (port {})", pgdata, config.port());
            } else {
                log.info("starting PostgreSQL on port {} (data {}, log {})", config.port(), pgdata, logFile);
                pgCtl("start", List.of("-l", logFile.toString(), "-w", "-t", String.valueOf(startupTimeoutSeconds())),
                        startupTimeoutMillis + 15_000L);
            }
            waitUntilReady(startNanos);
            log.info("PostgreSQL ready in {} ms on {}:{}", (System.nanoTime() - startNanos) / 1_000_000, config.host(), config.port());
            state = state.to(State.RUNNING);
        } catch (RuntimeException e) {
            state = state.to(State.FAILED);
            throw e;
        }
    }

    /** Starts the server unless this manager already started it and it still runs. */
    public synchronized void ensureStarted() {
        if (state == State.RUNNING && pgCtlStatusRunning()) {
            return;
        }
        start();
    }

    /** Stops the server ({@code pg_ctl stop -m fast}; {@code -m immediate} if that does not finish). No-op if not running. */
    public synchronized void stop() {
        state = state.to(State.STOPPING);
        try {
            if (Files.exists(pgdata.resolve("PG_VERSION")) && pgCtlStatusRunning()) {
                long startNanos = System.nanoTime();
                log.info("stopping PostgreSQL on port {}", config.port());
                CommandRunner.Result fast = runPgCtl("stop", List.of("-m", "fast", "-w", "-t", String.valueOf(startupTimeoutSeconds())),
                        startupTimeoutMillis + 15_000L);
                if (!fast.succeeded() && pgCtlStatusRunning()) {
                    log.warn("pg_ctl stop -m fast failed (exit {}), trying -m immediate: {}", fast.exitCode(), fast.outputTail());
                    pgCtl("stop", List.of("-m", "immediate", "-w", "-t", "30"), 45_000L);
                }
                log.info("PostgreSQL on port {} stopped in {} ms", config.port(), (System.nanoTime() - startNanos) / 1_000_000);
            }
            state = state.to(State.STOPPED);
        } catch (RuntimeException e) {
            state = state.to(State.FAILED);
            throw e;
        }
    }

    /** Stops the server; always, whatever state it is in. */
    @Override
    public synchronized void close() {
        try {
            stop();
        } finally {
            if (shutdownHook != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(shutdownHook);
                } catch (IllegalStateException alreadyShuttingDown) {
                    // the hook is running or about to; nothing to remove
                }
                shutdownHook = null;
            }
        }
    }

    /** Whether a PostgreSQL runs on this data directory ({@code pg_ctl status}), whoever started it. */
    public boolean isRunning() {
        return Files.exists(pgdata.resolve("PG_VERSION")) && pgCtlStatusRunning();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Where and how to connect

    public String host() {
        return config.host();
    }

    public int port() {
        return config.port();
    }

    /** PostgreSQL's Unix-domain socket: {@code <unix_socket_directories>/.s.PGSQL.<port>}. */
    public Path socketFile() {
        return Path.of(socketDirectory(), ".s.PGSQL." + config.port());
    }

    public String user() {
        return config.user();
    }

    /** PostgreSQL's data directory, {@code <dataDir>/pgdata}. */
    public Path dataDirectory() {
        return pgdata;
    }

    /** The server log, {@code <dataDir>/postgres.log}. */
    public Path logFile() {
        return logFile;
    }

    /** The binaries in use; {@code null} before the first {@link #start()}. */
    public synchronized PostgresBinaries binaries() {
        return binaries;
    }

    /**
     * The superuser's password, generated at initdb and kept in {@code <dataDir>/postgres.password} (mode 0600);
     * {@code null} if that file does not exist (a data directory pgmm did not create). Needed for TCP connections
     * unless {@code trustLoopback} is on.
     */
    public String password() {
        try {
            return Files.exists(passwordFile) ? Files.readString(passwordFile, StandardCharsets.UTF_8).strip() : null;
        } catch (IOException e) {
            throw new PostgresException("cannot read " + passwordFile + ": " + e.getMessage(), e);
        }
    }

    /** {@code jdbc:postgresql://host:port/database?user=<user>}; the password, if one is needed, is {@link #password()}. */
    public String jdbcUrl(String database) {
        Objects.requireNonNull(database, "database");
        String host = config.host().indexOf(':') >= 0 ? "[" + config.host() + "]" : config.host();
        return "jdbc:postgresql://" + host + ":" + config.port() + "/" + database + "?user=" + config.user();
    }

    /** A new JDBC connection to {@code database} as the superuser (with the password when there is one). */
    public Connection connect(String database) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", config.user());
        String password = password();
        if (password != null) {
            props.setProperty("password", password);
        }
        props.setProperty("connectTimeout", "10");
        props.setProperty("ApplicationName", "pgmm-manager");
        return DriverManager.getConnection(jdbcUrl(database), props);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Steps

    private void prepareDirectories() {
        try {
            List<Path> created = createDirectoriesTracked(nodeDataDir);
            if (runner.switchesUser()) {
                for (Path dir : created) {
                    addPermission(dir, PosixFilePermission.OTHERS_EXECUTE);
                }
                checkSearchableByRunUser(nodeDataDir);
            }
            if (!Files.exists(pgdata)) {
                Files.createDirectory(pgdata, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            if (!Files.exists(logFile)) {
                Files.createFile(logFile);
            }
            if (runner.switchesUser()) {
                chownToRunUser(pgdata);
                chownToRunUser(logFile);
            }
        } catch (IOException e) {
            throw new PostgresException("cannot prepare " + pgdata + ": " + e + "; check that the node's dataDir is writable", e);
        }
    }

    private void initdb() {
        log.info("initdb {} (PostgreSQL {}, user {}, this takes a few seconds)", pgdata, binaries.version(), config.user());
        Path pwfile = null;
        try {
            String password = password();
            if (password == null) {
                password = HexFormat.of().formatHex(randomBytes(24));
                writePrivate(passwordFile, password + "\n");
            }
            pwfile = Files.createTempFile(nodeDataDir, ".initdb-pw-", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(pwfile, password + "\n", StandardCharsets.UTF_8);
            if (runner.switchesUser()) {
                chownToRunUser(pwfile);
            }
            List<String> command = new ArrayList<>(List.of(binaries.initdb().toString(),
                    "-D", pgdata.toString(), "-U", config.user(),
                    "--auth-local=trust", "--auth-host=" + hostAuthMethod(),
                    "-E", "UTF8", "--locale=C", "--pwfile=" + pwfile));
            if ("off".equalsIgnoreCase(config.settings().getOrDefault("fsync", "on"))) {
                command.add("--no-sync");
            }
            CommandRunner.Result result = runner.run(command, nodeDataDir, INITDB_TIMEOUT_MILLIS);
            if (!result.succeeded()) {
                throw new PostgresException("initdb of " + pgdata + " failed (exit " + result.exitCode() + "): "
                        + String.join(" ", result.command()) + "\n" + result.outputTail()
                        + "\nfix the cause, then empty or remove " + pgdata + " and start again");
            }
        } catch (IOException e) {
            throw new PostgresException("cannot prepare initdb of " + pgdata + ": " + e, e);
        } finally {
            if (pwfile != null) {
                try {
                    Files.deleteIfExists(pwfile);
                } catch (IOException ignored) {
                    // a leftover 0600 file in our own directory
                }
            }
        }
    }

    private void writeConfiguration() {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("listen_addresses", config.host());
        settings.put("port", String.valueOf(config.port()));
        settings.put("unix_socket_directories", socketDirectory());
        settings.putAll(BASE_SETTINGS);
        settings.putAll(config.settings());
        StringBuilder conf = new StringBuilder()
                .append("# Written by pgmm at every start; change postgres.settings in the node's YAML instead.\n");
        settings.forEach((name, value) -> conf.append(name).append(" = ").append(quote(value)).append('\n'));

        String method = hostAuthMethod();
        String hba = "# Written by pgmm at every start (postgres.trustLoopback = " + config.trustLoopback() + ").\n"
                + "# TYPE  DATABASE     USER  ADDRESS        METHOD\n"
                // The sidecar relays clients over the socket: it must ask what TCP asks.
                + "local   all          all                  " + method + "\n"
                + "local   replication  all                  " + method + "\n"
                + "host    all          all   127.0.0.1/32   " + method + "\n"
                + "host    all          all   ::1/128        " + method + "\n"
                + "host    replication  all   127.0.0.1/32   " + method + "\n"
                + "host    replication  all   ::1/128        " + method + "\n";
        try {
            writeOwned(pgdata.resolve(PGMM_CONF), conf.toString());
            writeOwned(pgdata.resolve("pg_hba.conf"), hba);
            Path mainConf = pgdata.resolve("postgresql.conf");
            String main = Files.readString(mainConf, StandardCharsets.UTF_8);
            if (main.lines().noneMatch(line -> line.strip().equals(INCLUDE_LINE))) {
                writeOwned(mainConf, main + (main.endsWith("\n") ? "" : "\n")
                        + "\n# pgmm's settings; they come last so they win.\n" + INCLUDE_LINE + "\n");
            }
        } catch (IOException e) {
            throw new PostgresException("cannot write the configuration in " + pgdata + ": " + e, e);
        }
    }

    private void waitUntilReady(long startNanos) {
        long deadlineNanos = startNanos + startupTimeoutMillis * 1_000_000L;
        Exception last = null;
        while (System.nanoTime() < deadlineNanos) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(config.host(), config.port()), 1000);
            } catch (IOException e) {
                last = e;
                sleep(100);
                continue;
            }
            try (Connection c = connect("postgres"); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select 1")) {
                if (rs.next() && rs.getInt(1) == 1) {
                    return;
                }
            } catch (SQLException e) {
                last = e;
                if ("28P01".equals(e.getSQLState()) || "28000".equals(e.getSQLState())) {
                    break; // authentication will not get better by waiting
                }
            }
            sleep(100);
        }
        throw new PostgresException("PostgreSQL on " + pgdata + " did not answer `select 1` on " + config.host() + ":"
                + config.port() + " within " + startupTimeoutMillis + " ms (last error: " + last + ");"
                + " if another server holds that port, or this one runs with another port, stop it with `pg_ctl -D "
                + pgdata + " stop`" + logTail());
    }

    // ---------------------------------------------------------------------------------------------------------
    // Helpers

    private boolean pgCtlStatusRunning() {
        return runPgCtl("status", List.of(), 30_000L).exitCode() == 0;
    }

    private void pgCtl(String action, List<String> options, long timeoutMillis) {
        CommandRunner.Result result = runPgCtl(action, options, timeoutMillis);
        if (!result.succeeded()) {
            throw new PostgresException("pg_ctl " + action + " failed for " + pgdata + " (exit " + result.exitCode() + "): "
                    + String.join(" ", result.command()) + "\n" + result.outputTail() + logTail());
        }
    }

    private CommandRunner.Result runPgCtl(String action, List<String> options, long timeoutMillis) {
        PostgresBinaries bins = binaries != null ? binaries : (binaries = PostgresBinaries.discover(config.binDir()));
        List<String> command = new ArrayList<>(List.of(bins.pgCtl().toString(), "-D", pgdata.toString()));
        command.addAll(options);
        command.add(action);
        return runner.run(command, nodeDataDir, timeoutMillis);
    }

    private String logTail() {
        try {
            if (!Files.exists(logFile)) {
                return "";
            }
            return "\n--- last lines of " + logFile + " ---\n"
                    + CommandRunner.tail(Files.readString(logFile, StandardCharsets.UTF_8), LOG_TAIL_LINES);
        } catch (IOException e) {
            return "\n(cannot read " + logFile + ": " + e + ")";
        }
    }

    private String hostAuthMethod() {
        return config.trustLoopback() ? "trust" : "scram-sha-256";
    }

    private String socketDirectory() {
        return pgdata.toString().length() + "/.s.PGSQL.65535.lock".length() <= MAX_SOCKET_PATH_CHARS ? pgdata.toString() : "/tmp";
    }

    private int startupTimeoutSeconds() {
        return Math.max(1, (startupTimeoutMillis + 999) / 1000);
    }

    private void writeOwned(Path file, String content) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".pgmm-tmp");
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
        if (runner.switchesUser()) {
            chownToRunUser(tmp);
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void writePrivate(Path file, String content) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".pgmm-tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** PostgreSQL reads a quoted value for any setting; a quote inside is doubled. */
    static String quote(String value) {
        return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'";
    }

    private static List<Path> createDirectoriesTracked(Path dir) throws IOException {
        List<Path> missing = new ArrayList<>();
        for (Path p = dir; p != null && !Files.exists(p); p = p.getParent()) {
            missing.add(0, p);
        }
        Files.createDirectories(dir);
        return missing;
    }

    private static void addPermission(Path dir, PosixFilePermission permission) throws IOException {
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir);
        if (perms.add(permission)) {
            Files.setPosixFilePermissions(dir, perms);
        }
    }

    /** Every folder from / down to {@code dir} must let the run user pass, or PostgreSQL cannot reach pgdata. */
    private static void checkSearchableByRunUser(Path dir) throws IOException {
        UserPrincipalLookupService lookup = dir.getFileSystem().getUserPrincipalLookupService();
        UserPrincipal runUser = lookup.lookupPrincipalByName(CommandRunner.RUN_USER);
        GroupPrincipal runGroup = lookup.lookupPrincipalByGroupName(CommandRunner.RUN_USER);
        for (Path p = dir; p != null; p = p.getParent()) {
            PosixFileAttributeView view = Files.getFileAttributeView(p, PosixFileAttributeView.class);
            var attrs = view.readAttributes();
            Set<PosixFilePermission> perms = attrs.permissions();
            boolean searchable = perms.contains(PosixFilePermission.OTHERS_EXECUTE)
                    || (attrs.owner().equals(runUser) && perms.contains(PosixFilePermission.OWNER_EXECUTE))
                    || (attrs.group().equals(runGroup) && perms.contains(PosixFilePermission.GROUP_EXECUTE));
            if (!searchable) {
                throw new PostgresException(p + " (mode " + PosixFilePermissions.toString(perms) + ", owner "
                        + attrs.owner().getName() + ") cannot be searched by the " + CommandRunner.RUN_USER
                        + " user, which runs PostgreSQL because pgmm runs as root; run `chmod o+x " + p
                        + "`, or put the node's dataDir elsewhere");
            }
        }
    }

    private static void chownToRunUser(Path path) throws IOException {
        UserPrincipalLookupService lookup = path.getFileSystem().getUserPrincipalLookupService();
        PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        view.setOwner(lookup.lookupPrincipalByName(CommandRunner.RUN_USER));
        view.setGroup(lookup.lookupPrincipalByGroupName(CommandRunner.RUN_USER));
    }

    private static byte[] randomBytes(int count) {
        byte[] bytes = new byte[count];
        new SecureRandom().nextBytes(bytes);
        return bytes;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PostgresException("interrupted while waiting for PostgreSQL to start", e);
        }
    }

    private void stopQuietly() {
        try {
            if (isRunning()) {
                runPgCtl("stop", List.of("-m", "immediate", "-w", "-t", "30"), 45_000L);
            }
        } catch (RuntimeException e) {
            // the JVM is exiting; nothing better to do than to leave the log to tell
        }
    }

    private static Map<String, String> baseSettings() {
        Map<String, String> base = new LinkedHashMap<>();
        base.put("wal_level", "logical");
        base.put("max_prepared_transactions", "1000");
        base.put("max_replication_slots", "16");
        base.put("max_wal_senders", "16");
        base.put("max_connections", "300");
        return java.util.Collections.unmodifiableMap(base);
    }
}
