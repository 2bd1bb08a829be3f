package io.pgmm.it.clients;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgmm.it.support.Commands;
import io.pgmm.it.support.PgmmTestNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * node-postgres through the sidecar. node-postgres writes Parse/Bind/Describe/Execute/Sync of a
 * parameterized query in one write and queues the next query's messages behind it without
 * waiting, so the sidecar sees many extended-protocol cycles pipelined on one connection,
 * including cycles that fail between others that succeed.
 */
class NodePostgresPipelineTest {

  private static final Duration NODE_TIMEOUT = Duration.ofMinutes(2);

  private static PgmmTestNode node;
  private static Path scripts;

  @BeforeAll
  static void installNodePostgresAndStartNode() {
    scripts = nodeScriptsDir();
    installDependencies(scripts);
    node = PgmmTestNode.start("nodepg");
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void pipelinedParameterizedQueriesGiveWhatPostgresGives() throws Exception {
    String expected = Files.readString(
        Path.of(NodePostgresPipelineTest.class.getResource("/clients/node-pipeline-expected.json").toURI()));

    Commands.Result direct = runScript(node.postgresPort());
    Commands.Result proxied = runScript(node.port());

    assertThat(direct.stdout()).as("node-postgres against PostgreSQL itself").isEqualTo(expected);
    assertThat(proxied.stdout()).as("node-postgres through the sidecar").isEqualTo(expected);
    assertThat(proxied.stdout()).contains(
        "\"unnamedCount\": 200", "\"unnamedAllMatch\": true", "\"namedAllMatch\": true", "\"rowsAfterRollback\": 0");
  }

  private static Commands.Result runScript(int port) {
    Commands.Result r = Commands.run(List.of("node", "pipeline.js", Integer.toString(port)), Map.of(), scripts,
        NODE_TIMEOUT);
    if (r.exitCode() != 0) {
      throw new AssertionError("node pipeline.js " + port + " exited " + r.exitCode() + "\nstdout:\n" + r.stdout()
          + "\nstderr:\n" + r.stderr());
    }
    assertThat(r.stderr()).as("stderr of node pipeline.js " + port).isEmpty();
    return r;
  }

  /** it/src/test/node, found from Maven's working directory (the module) or the repository root. */
  private static Path nodeScriptsDir() {
    Path cwd = Path.of("").toAbsolutePath();
    for (Path candidate : List.of(cwd.resolve("src/test/node"), cwd.resolve("it/src/test/node"))) {
      if (Files.isRegularFile(candidate.resolve("package-lock.json"))) {
        return candidate;
      }
    }
    throw new AssertionError("no src/test/node/package-lock.json under " + cwd);
  }

  /** Runs npm ci unless node_modules already holds the locked pg version. */
  private static void installDependencies(Path dir) {
    Commands.Result version = runTool(List.of("node", "--version"), dir, Duration.ofSeconds(30));
    if (version == null || version.exitCode() != 0) {
      throw new AssertionError("Node.js is required for this test but `node` is not on PATH; install nodejs"
          + " (20 or later) and npm, as CI does.");
    }
    try {
      String locked = lockedPgVersion(dir);
      Path installed = dir.resolve("node_modules/pg/package.json");
      if (Files.isRegularFile(installed) && Files.readString(installed).contains("\"version\": \"" + locked + "\"")) {
        return;
      }
    } catch (IOException e) {
      throw new AssertionError("cannot read " + dir, e);
    }
    Commands.Result npm = runTool(List.of("npm", "ci", "--no-audit", "--no-fund"), dir, Duration.ofMinutes(5));
    if (npm == null) {
      throw new AssertionError("npm is required for this test but is not on PATH; install npm with nodejs.");
    }
    npm.assertSuccess();
  }

  private static String lockedPgVersion(Path dir) throws IOException {
    String lock = Files.readString(dir.resolve("package-lock.json"));
    Matcher m = Pattern.compile("\"node_modules/pg\": \\{\\s*\"version\": \"([^\"]+)\"").matcher(lock);
    if (!m.find()) {
      throw new AssertionError("package-lock.json in " + dir + " does not lock pg");
    }
    return m.group(1);
  }

  /** The tool's result, or null when it is not installed. */
  private static Commands.Result runTool(List<String> command, Path dir, Duration timeout) {
    try {
      return Commands.run(command, Map.of(), dir, timeout);
    } catch (java.io.UncheckedIOException e) {
      return null;
    }
  }
}
