package io.pgmm.it.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs real client programs (psql, pgbench, node) and captures what they print. */
public final class Commands {
  private Commands() {}

  public record Result(int exitCode, String stdout, String stderr) {
    public Result assertSuccess() {
      if (exitCode != 0) {
        throw new AssertionError("exit " + exitCode + "\nstdout:\n" + stdout + "\nstderr:\n" + stderr);
      }
      return this;
    }
  }

  public static Result run(List<String> command, Duration timeout) {
    return run(command, Map.of(), null, timeout);
  }

  public static Result run(List<String> command, Map<String, String> env, Path workDir, Duration timeout) {
    try {
      Path out = Files.createTempFile("pgmm-cmd-", ".out");
      Path err = Files.createTempFile("pgmm-cmd-", ".err");
      try {
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().putAll(env);
        if (workDir != null) {
          pb.directory(workDir.toFile());
        }
        Process p = pb.start();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          p.destroyForcibly().waitFor();
          throw new AssertionError("timed out after " + timeout + ": " + command + "\nstderr:\n" + Files.readString(err));
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
      } finally {
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** A PostgreSQL client program: the installed PostgreSQL's bin folder first, then PATH. */
  public static String pgProgram(String name) {
    for (String dir : List.of("/usr/lib/postgresql/18/bin", "/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin")) {
      Path p = Path.of(dir, name);
      if (Files.isExecutable(p)) {
        return p.toString();
      }
    }
    return name;
  }
}
