package io.pgmm.server.postgres;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PostgresManagerBinaryDiscoveryTest {

    @TempDir
    Path tmp;

    @Test
    void debianRootYieldsTheHighestCompleteVersionAtLeast15() throws IOException {
        Path root = tmp.resolve("postgresql");
        fakeBinDir(root.resolve("14/bin"), "14.9", List.of("initdb", "pg_ctl", "postgres"));
        fakeBinDir(root.resolve("16/bin"), "16.4", List.of("initdb", "pg_ctl", "postgres"));
        fakeBinDir(root.resolve("17/bin"), "17.0", List.of("initdb", "postgres")); // no pg_ctl: skipped
        fakeBinDir(root.resolve("15/bin"), "15.8", List.of("initdb", "pg_ctl", "postgres"));

        PostgresBinaries found = PostgresBinaries.fromDebianRoot(root).orElseThrow();

        assertThat(found.binDir()).isEqualTo(root.resolve("16/bin"));
        assertThat(found.version()).isEqualTo("16.4");
        assertThat(found.majorVersion()).isEqualTo(16);
        assertThat(found.source()).isEqualTo(PostgresBinaries.Source.DEBIAN_PACKAGE);
    }

    @Test
    void versionsBelow15AreIgnored() throws IOException {
        Path bin = tmp.resolve("old/bin");
        fakeBinDir(bin, "14.9", List.of("initdb", "pg_ctl", "postgres"));
        assertThat(PostgresBinaries.inspect(bin, PostgresBinaries.Source.CONFIGURED)).isEmpty();
    }

    @Test
    void configuredBinDirWithoutPostgresFailsNamingTheKey() {
        Path empty = tmp.resolve("nothing");
        assertThatThrownBy(() -> PostgresBinaries.discover(empty))
                .isInstanceOf(PostgresException.class)
                .hasMessageStartingWith("postgres.binDir " + empty);
    }

    @Test
    void installedPostgresqlIsFoundWithoutConfiguration() {
        PostgresBinaries found = PostgresBinaries.discover(null);
        assertThat(found.majorVersion()).isGreaterThanOrEqualTo(15);
        assertThat(found.initdb()).isExecutable();
        assertThat(found.pgCtl()).isExecutable();
    }

    @Test
    void embeddedBinariesUnpackOnceIntoTheCache() throws IOException {
        Path cache = tmp.resolve("cache");

        PostgresBinaries first = PostgresBinaries.embedded(cache).orElseThrow();
        long unpackedAt = Files.getLastModifiedTime(first.postgres()).toMillis();
        PostgresBinaries second = PostgresBinaries.embedded(cache).orElseThrow();

        assertThat(first.source()).isEqualTo(PostgresBinaries.Source.EMBEDDED);
        assertThat(first.version()).isEqualTo("15.19");
        assertThat(first.binDir()).isEqualTo(cache.resolve("pg-15.19.0/bin"));
        assertThat(second).isEqualTo(first);
        assertThat(Files.getLastModifiedTime(second.postgres()).toMillis()).isEqualTo(unpackedAt);
        try (var leftovers = Files.list(cache)) {
            assertThat(leftovers.map(p -> p.getFileName().toString())).containsExactly("pg-15.19.0");
        }
    }

    private static void fakeBinDir(Path bin, String version, List<String> programs) throws IOException {
        Files.createDirectories(bin);
        for (String program : programs) {
            Path file = bin.resolve(program);
            Files.writeString(file, "#!/bin/sh\necho \"" + program + " (PostgreSQL) " + version + "\"\n");
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }
}
