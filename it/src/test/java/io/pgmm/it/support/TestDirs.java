package io.pgmm.it.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Scratch folders for PostgreSQL servers. Under /tmp and world-traversable, because as root the
 * servers run as user postgres, who cannot enter JUnit's private temp folders or a checkout
 * under /root.
 */
public final class TestDirs {
  private TestDirs() {}

  public static Path create(String prefix) {
    try {
      Path dir = Files.createTempDirectory(Path.of("/tmp"), "pgmm-it-" + prefix + "-");
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static void deleteQuietly(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // Left-over scratch files in /tmp do not affect any result.
    }
  }
}
