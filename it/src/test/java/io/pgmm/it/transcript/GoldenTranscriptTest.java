package io.pgmm.it.transcript;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgmm.it.support.PgmmTestNode;
import io.pgmm.it.transcript.PgWireClient.Message;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs every transcript under {@code src/test/resources/pgwire/} once against the bare
 * PostgreSQL and once through the sidecar in front of it: the two renderings must be identical,
 * and the bare PostgreSQL's must match the expectation stored in the file.
 *
 * <p>{@code -Dpgwire.rewrite=true} rewrites the expectations from the bare PostgreSQL's answers
 * (run from the {@code it} module directory, as surefire does).
 */
class GoldenTranscriptTest {

  private static PgmmTestNode node;

  @BeforeAll
  static void startNode() {
    node = PgmmTestNode.start("transcripts");
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      node.close();
    }
  }

  @TestFactory
  Stream<DynamicTest> transcriptsAgreeWithPostgres() throws IOException, URISyntaxException {
    Path dir = Path.of(GoldenTranscriptTest.class.getResource("/pgwire").toURI());
    List<Path> files;
    try (Stream<Path> list = Files.list(dir)) {
      files = list.filter(p -> p.toString().endsWith(".txt")).sorted().toList();
    }
    assertThat(files).as("transcripts in %s", dir).hasSizeGreaterThanOrEqualTo(10);
    return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> runTranscript(f)));
  }

  private static void runTranscript(Path file) throws IOException {
    Transcript t = Transcript.load(file);
    List<List<String>> direct = t.run(node.postgresPort());
    if (Boolean.getBoolean("pgwire.rewrite")) {
      Path source = Path.of("src/test/resources/pgwire").resolve(file.getFileName());
      Files.writeString(source, t.rewritten(direct), StandardCharsets.UTF_8);
    } else {
      List<List<String>> expected = new ArrayList<>();
      for (Transcript.Step s : t.steps()) {
        if (s instanceof Transcript.Until u && u.expected() != null) {
          expected.add(u.expected());
        } else if (s instanceof Transcript.Until) {
          expected.add(null);
        }
      }
      for (int i = 0; i < direct.size(); i++) {
        if (expected.get(i) != null) {
          assertThat(String.join("\n", direct.get(i)))
              .as("%s: PostgreSQL's answer to until #%d no longer matches the file", t.name(), i + 1)
              .isEqualTo(String.join("\n", expected.get(i)));
        }
      }
    }
    List<List<String>> viaSidecar = t.run(node.port());
    assertThat(render(viaSidecar))
        .as("%s through the sidecar vs. PostgreSQL directly", t.name())
        .isEqualTo(render(direct));
  }

  private static String render(List<List<String>> untils) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < untils.size(); i++) {
      sb.append("-- until #").append(i + 1).append('\n');
      untils.get(i).forEach(l -> sb.append(l).append('\n'));
    }
    return sb.toString();
  }

  @Test
  void startupExchangeMatchesPostgres() throws IOException {
    assertThat(startup(node.port())).isEqualTo(startup(node.postgresPort()));
  }

  private static String startup(int port) throws IOException {
    try (PgWireClient c = PgWireClient.open(port)) {
      List<Message> got = c.startup("postgres", "postgres", "pgwire-startup");
      StringBuilder sb = new StringBuilder();
      for (Message m : got) {
        sb.append(MessageRenderer.render(m, c.processId())).append('\n');
      }
      return sb.toString();
    }
  }
}
