package io.pgmm.server.postgres;

import io.pgmm.config.PostgresConfig;
import io.pgmm.config.PostgresMode;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Starts real PostgreSQL servers (as the postgres user when the tests run as root). */
class PostgresManagerTest {

    @TempDir
    Path tmp;

    @BeforeEach
    void letThePostgresUserReachTheTempDir() throws IOException {
        // JUnit creates @TempDir with mode 700; as root, PostgreSQL runs as postgres and must pass through it.
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Test
    void startsWithLogicalWalAndPreparedTransactionsThenRestartsOnTheSameDataAndStops() throws Exception {
        int port = freePort();
        String url;
        try (PostgresManager pg = PostgresManager.forTest(tmp.resolve("node1"), port)) {
            url = pg.jdbcUrl("postgres");
            pg.start();

            assertThat(pg.isRunning()).isTrue();
            assertThat(pg.port()).isEqualTo(port);
            assertThat(pg.host()).isEqualTo("127.0.0.1");
            assertThat(pg.dataDirectory()).isEqualTo(tmp.resolve("node1/pgdata"));
            assertThat(pg.jdbcUrl("postgres")).isEqualTo("jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres");
            assertThat(show(pg, "wal_level")).isEqualTo("logical");
            assertThat(show(pg, "max_prepared_transactions")).isEqualTo("1000");
            assertThat(show(pg, "max_connections")).isEqualTo("300");
            assertThat(show(pg, "fsync")).isEqualTo("off");
            execute(pg, "create table survives_restart(id int primary key)");
            execute(pg, "insert into survives_restart values (42)");
            long pgVersionModified = Files.getLastModifiedTime(pg.dataDirectory().resolve("PG_VERSION")).toMillis();

            pg.stop();
            assertThat(pg.isRunning()).isFalse();
            pg.start();

            assertThat(pg.isRunning()).isTrue();
            assertThat(query(pg, "select id from survives_restart")).isEqualTo("42");
            assertThat(show(pg, "wal_level")).isEqualTo("logical");
            assertThat(Files.getLastModifiedTime(pg.dataDirectory().resolve("PG_VERSION")).toMillis()).isEqualTo(pgVersionModified);
            assertThat(Files.readString(pg.dataDirectory().resolve("postgresql.conf")))
                    .containsOnlyOnce(PostgresManager.INCLUDE_LINE);
        }
        try (Connection ignored = DriverManager.getConnection(url)) {
            throw new AssertionError("PostgreSQL still accepts connections after close()");
        } catch (SQLException expected) {
            assertThat(expected.getSQLState()).startsWith("08");
        }
    }

    @Test
    void aSecondManagerReusesTheServerAlreadyRunningOnItsDataDirectory() throws Exception {
        int port = freePort();
        try (PostgresManager first = PostgresManager.forTest(tmp.resolve("node"), port)) {
            first.start();
            execute(first, "create table marker(x int)");
            try (PostgresManager second = PostgresManager.forTest(tmp.resolve("node"), port)) {
                second.ensureStarted();
                assertThat(query(second, "select count(*) from marker")).isEqualTo("0");
            }
            assertThat(first.isRunning()).isFalse();
        }
    }

    @Test
    void portInUseFailsNamingPgCtlWithTheServerLog() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
             PostgresManager pg = PostgresManager.forTest(tmp.resolve("busy"), taken.getLocalPort())) {
            assertThatThrownBy(pg::start)
                    .isInstanceOf(PostgresException.class)
                    .hasMessageContaining("pg_ctl start failed")
                    .hasMessageContaining("last lines of " + pg.logFile())
                    .hasMessageContaining("could not bind");
            assertThat(pg.isRunning()).isFalse();
        }
    }

    @Test
    void initdbFailureNamesInitdbAndTheDirectory() throws Exception {
        Path node = tmp.resolve("dirty");
        Files.createDirectories(node.resolve(PostgresManager.PGDATA));
        Files.writeString(node.resolve(PostgresManager.PGDATA).resolve("leftover.txt"), "not a data directory");
        try (PostgresManager pg = PostgresManager.forTest(node, freePort())) {
            assertThatThrownBy(pg::start)
                    .isInstanceOf(PostgresException.class)
                    .hasMessageStartingWith("initdb of " + node.resolve("pgdata") + " failed")
                    .hasMessageContaining("is not empty");
        }
    }

    @Test
    void runsOnTheEmbeddedBinariesWithCustomSettingsAndPasswordAuthentication() throws Exception {
        PostgresBinaries embedded = PostgresBinaries.embedded(tmp.resolve("cache")).orElseThrow();
        PostgresConfig config = new PostgresConfig(PostgresMode.MANAGED, "127.0.0.1", freePort(), "pgmm",
                embedded.binDir(), false, Map.of("work_mem", "8MB", "fsync", "off"));
        try (PostgresManager pg = new PostgresManager(config, tmp.resolve("embedded"), 60_000)) {
            pg.start();

            assertThat(pg.binaries().source()).isEqualTo(PostgresBinaries.Source.CONFIGURED);
            assertThat(query(pg, "select version()")).contains("PostgreSQL 15.19");
            assertThat(query(pg, "select current_user")).isEqualTo("pgmm");
            assertThat(show(pg, "work_mem")).isEqualTo("8MB");
            assertThat(show(pg, "wal_level")).isEqualTo("logical");
            assertThat(pg.password()).hasSize(48);
            assertThatThrownBy(() -> DriverManager.getConnection(pg.jdbcUrl("postgres")))
                    .isInstanceOf(SQLException.class)
                    .hasMessageContaining("password");
        }
    }

    @Test
    void quotesSettingValuesForPostgresqlConf() {
        assertThat(PostgresManager.quote("128MB")).isEqualTo("'128MB'");
        assertThat(PostgresManager.quote("it's")).isEqualTo("'it''s'");
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }

    private static String show(PostgresManager pg, String setting) throws SQLException {
        return query(pg, "show " + setting);
    }

    private static String query(PostgresManager pg, String sql) throws SQLException {
        try (Connection c = pg.connect("postgres"); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            assertThat(rs.next()).isTrue();
            return rs.getString(1);
        }
    }

    private static void execute(PostgresManager pg, String sql) throws SQLException {
        try (Connection c = pg.connect("postgres"); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}
