package io.pgmm.it.clients;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgmm.it.support.Commands;
import io.pgmm.it.support.PgmmTestNode;
import io.pgmm.it.support.TestDirs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL's own regression suite (../shared/pgregress beside the checkout), run directly and
 * through the sidecar against the same PostgreSQL: every test's output must be identical. Runs
 * only where that folder exists, and says so where it does not.
 */
class PgRegressThroughSidecarTest {

  private static final Duration SUITE_TIMEOUT = Duration.ofMinutes(10);
  private static final int DIFF_LINES_PER_TEST = 40;

  private static Path suite;
  private static PgmmTestNode node;
  private static Path out;

  @BeforeAll
  static void findSuiteAndStartNode() {
    suite = findSuite();
    if (suite == null) {
      Assumptions.abort("PostgreSQL regression suite not run: no shared/pgregress/run.sh beside the checkout"
          + " (searched upwards from " + Path.of("").toAbsolutePath() + ")");
    }
    node = PgmmTestNode.start("pgregress");
    out = TestDirs.create("pgregress-out");
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      node.close();
    }
    if (out != null) {
      TestDirs.deleteQuietly(out);
    }
  }

  @Test
  void regressionSuiteOutputsThroughSidecarEqualDirectOutputs() throws Exception {
    Path direct = out.resolve("direct");
    Path proxied = out.resolve("proxy");

    Commands.Result directRun = runSuite(suite, node.postgresPort(), direct);
    Commands.Result proxiedRun = runSuite(suite, node.port(), proxied);
    Commands.Result compare = Commands.run(
        List.of(suite.resolve("compare.sh").toString(), direct.toString(), proxied.toString()), Duration.ofMinutes(1));

    System.out.println(directRun.stdout().strip());
    System.out.println(proxiedRun.stdout().strip());
    System.out.println(compare.stdout().strip());
    if (compare.exitCode() != 0) {
      throw new AssertionError(describeDifferences(compare, direct, proxied));
    }
    assertThat(compare.stdout()).contains("SUMMARY:");
  }

  private static Commands.Result runSuite(Path suite, int port, Path outDir) {
    Commands.Result r = Commands.run(
        List.of(suite.resolve("run.sh").toString(), Integer.toString(port), outDir.toString()), SUITE_TIMEOUT);
    if (r.exitCode() != 0) {
      throw new AssertionError("run.sh against port " + port + " could not run the suite (exit " + r.exitCode()
          + ")\nstdout:\n" + r.stdout() + "\nstderr:\n" + r.stderr() + "\npg_regress.log tail:\n"
          + tail(outDir.resolve("pg_regress.log"), 30));
    }
    return r;
  }

  /** The differing tests by name, then the first lines of each one's diff. */
  private static String describeDifferences(Commands.Result compare, Path direct, Path proxied) {
    List<String> differing = compare.stdout().lines()
        .filter(l -> !l.isBlank() && !l.startsWith("SUMMARY:") && !l.contains("(flaky, ignored)"))
        .toList();
    StringBuilder message = new StringBuilder("regression outputs through the sidecar differ from direct ones in "
        + differing.size() + " tests: " + differing + "\n" + compare.stdout().lines()
            .filter(l -> l.startsWith("SUMMARY:")).collect(Collectors.joining()) + "\n");
    for (String test : differing) {
      Commands.Result diff = Commands.run(List.of("diff", "-u",
          direct.resolve("results/" + test + ".out").toString(),
          proxied.resolve("results/" + test + ".out").toString()), Duration.ofSeconds(30));
      message.append("\n--- ").append(test).append(" ---\n")
          .append(diff.stdout().lines().limit(DIFF_LINES_PER_TEST).collect(Collectors.joining("\n")))
          .append(diff.stderr());
    }
    return message.toString();
  }

  /** shared/pgregress in the working directory or any folder above it, or null. */
  private static Path findSuite() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve("shared/pgregress");
      if (Files.isExecutable(candidate.resolve("run.sh")) && Files.isExecutable(candidate.resolve("compare.sh"))) {
        return candidate;
      }
    }
    return null;
  }

  private static String tail(Path file, int lines) {
    try {
      List<String> all = Files.readAllLines(file);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (java.io.IOException e) {
      return "(no " + file + ")";
    }
  }
}
