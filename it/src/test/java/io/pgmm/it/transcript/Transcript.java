package io.pgmm.it.transcript;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgmm.it.transcript.PgWireClient.Body;
import io.pgmm.it.transcript.PgWireClient.Message;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A golden pgwire transcript, after CockroachDB's {@code pkg/sql/pgwire/testdata/pgtest}.
 *
 * <pre>
 * # a comment
 * send Query {"sql": "select 1 as a"}
 * until ReadyForQuery
 * ----
 * RowDescription ["a"(table=0 attnum=0 type=23 len=4 typmod=-1 format=0)]
 * DataRow ["1"]
 * CommandComplete "SELECT 1"
 * ReadyForQuery I
 *
 * send Parse {"name": "s1", "sql": "select $1::int"}
 * ...
 * </pre>
 *
 * <p>{@code send TYPE JSON} sends one frontend message (the JSON may be omitted for messages
 * without fields). {@code until T1 T2 ...} reads backend messages until T1 arrives, then until T2,
 * and so on; everything read is rendered by {@link MessageRenderer}. The block after {@code ----}
 * up to the next blank line is what PostgreSQL answered when the file was last rewritten
 * ({@code -Dpgwire.rewrite=true}); it documents the exchange and pins PostgreSQL's behaviour.
 *
 * <p>Frontend messages and their JSON fields: Query {sql}; Parse {name, sql, types[]}; Bind
 * {portal, statement, params[] (string, null or {"hex": ...}), paramFormats[], resultFormats[]}; Execute
 * {portal, maxRows}; Describe/Close {kind: "S"|"P", name}; Sync; Flush; Terminate; CopyData
 * {data}; CopyDone; CopyFail {message}; FunctionCall {oid, args[], argFormats[], resultFormat};
 * Raw {type, hex}.
 */
public record Transcript(String name, List<String> lines, List<Step> steps) {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** One directive of the file; {@code line} is its index in {@link #lines}. */
  public sealed interface Step permits Send, Until {
    int line();
  }

  public record Send(int line, String messageName, byte[] bytes) implements Step {}

  /** {@code expected} is null when the file holds no expectation for this step. */
  public record Until(int line, List<Character> types, List<String> expected) implements Step {}

  public static Transcript load(Path file) {
    try {
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      List<Step> steps = new ArrayList<>();
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i).strip();
        if (line.isEmpty() || line.startsWith("#")) {
          continue;
        }
        if (line.equals("----")) {
          throw new IllegalArgumentException(file + ":" + (i + 1) + ": ---- without an until before it");
        }
        String[] parts = line.split("\\s+", 3);
        switch (parts[0]) {
          case "send" -> steps.add(new Send(i, parts[1], encode(parts[1], parts.length > 2 ? parts[2] : "{}")));
          case "until" -> {
            List<Character> types = new ArrayList<>();
            for (String t : line.substring("until".length()).strip().split("\\s+")) {
              types.add(MessageRenderer.backendType(t));
            }
            List<String> expected = null;
            if (i + 1 < lines.size() && lines.get(i + 1).strip().equals("----")) {
              expected = new ArrayList<>();
              int j = i + 2;
              while (j < lines.size() && !lines.get(j).isBlank()) {
                expected.add(lines.get(j));
                j++;
              }
              steps.add(new Until(i, types, expected));
              i = j;
            } else {
              steps.add(new Until(i, types, null));
            }
          }
          default -> throw new IllegalArgumentException(file + ":" + (i + 1) + ": unknown directive " + parts[0]);
        }
      }
      return new Transcript(file.getFileName().toString(), lines, steps);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Runs the transcript on a fresh connection; returns the rendering of each {@code until}. */
  public List<List<String>> run(int port) throws IOException {
    List<List<String>> out = new ArrayList<>();
    try (PgWireClient c = PgWireClient.connect(port, "postgres", "postgres", "pgwire-transcript")) {
      for (Step step : steps) {
        if (step instanceof Send s) {
          c.sendRaw(s.bytes());
        } else if (step instanceof Until u) {
          List<String> rendered = new ArrayList<>();
          for (char type : u.types()) {
            for (Message m : c.readUntil(type)) {
              rendered.add(MessageRenderer.render(m, c.processId()));
            }
          }
          out.add(rendered);
        }
      }
      c.send('X', new byte[0]);
    }
    return out;
  }

  /** The file with every {@code until}'s expectation replaced by {@code renderings}. */
  public String rewritten(List<List<String>> renderings) {
    StringBuilder sb = new StringBuilder();
    int u = 0;
    int i = 0;
    while (i < lines.size()) {
      String line = lines.get(i);
      sb.append(line).append('\n');
      i++;
      if (line.strip().startsWith("until")) {
        if (i < lines.size() && lines.get(i).strip().equals("----")) {
          i++;
          while (i < lines.size() && !lines.get(i).isBlank()) {
            i++;
          }
        }
        sb.append("----\n");
        renderings.get(u++).forEach(r -> sb.append(r).append('\n'));
        if (i >= lines.size() || !lines.get(i).isBlank()) {
          sb.append('\n');
        }
      }
    }
    return sb.toString();
  }

  static byte[] encode(String message, String json) {
    JsonNode n;
    try {
      n = JSON.readTree(json);
    } catch (IOException e) {
      throw new IllegalArgumentException("bad JSON for " + message + ": " + json, e);
    }
    return switch (message) {
      case "Query" -> PgWireClient.typed('Q', new Body().cstring(n.path("sql").asText()).bytes());
      case "Parse" -> {
        Body b = new Body().cstring(n.path("name").asText("")).cstring(n.path("sql").asText());
        JsonNode types = n.path("types");
        b.int16(types.size());
        types.forEach(t -> b.int32(t.asInt()));
        yield PgWireClient.typed('P', b.bytes());
      }
      case "Bind" -> {
        Body b = new Body().cstring(n.path("portal").asText("")).cstring(n.path("statement").asText(""));
        shorts(b, n.path("paramFormats"));
        JsonNode params = n.path("params");
        b.int16(params.size());
        params.forEach(p -> b.value(valueBytes(p)));
        shorts(b, n.path("resultFormats"));
        yield PgWireClient.typed('B', b.bytes());
      }
      case "Execute" -> PgWireClient.typed('E', new Body().cstring(n.path("portal").asText("")).int32(n.path("maxRows").asInt(0)).bytes());
      case "Describe", "Close" -> PgWireClient.typed(message.equals("Describe") ? 'D' : 'C',
          new Body().int8(n.path("kind").asText("S").charAt(0)).cstring(n.path("name").asText("")).bytes());
      case "Sync" -> PgWireClient.typed('S', new byte[0]);
      case "Flush" -> PgWireClient.typed('H', new byte[0]);
      case "Terminate" -> PgWireClient.typed('X', new byte[0]);
      case "CopyData" -> PgWireClient.typed('d', n.path("data").asText().getBytes(StandardCharsets.UTF_8));
      case "CopyDone" -> PgWireClient.typed('c', new byte[0]);
      case "CopyFail" -> PgWireClient.typed('f', new Body().cstring(n.path("message").asText()).bytes());
      case "FunctionCall" -> {
        Body b = new Body().int32(n.path("oid").asInt());
        shorts(b, n.path("argFormats"));
        JsonNode args = n.path("args");
        b.int16(args.size());
        args.forEach(a -> b.value(valueBytes(a)));
        b.int16(n.path("resultFormat").asInt(0));
        yield PgWireClient.typed('F', b.bytes());
      }
      case "Raw" -> PgWireClient.typed(n.path("type").asText().charAt(0), hex(n.path("hex").asText("")));
      default -> throw new IllegalArgumentException("unknown frontend message " + message);
    };
  }

  /** A parameter or argument: null, a string (sent as UTF-8) or {"hex": "..."} for binary. */
  private static byte[] valueBytes(JsonNode v) {
    if (v.isNull()) {
      return null;
    }
    return v.has("hex") ? hex(v.get("hex").asText()) : v.asText().getBytes(StandardCharsets.UTF_8);
  }

  private static void shorts(Body b, JsonNode array) {
    b.int16(array.size());
    array.forEach(v -> b.int16(v.asInt()));
  }

  private static byte[] hex(String s) {
    byte[] out = new byte[s.length() / 2];
    for (int i = 0; i < out.length; i++) {
      out[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
    }
    return out;
  }
}
