package io.pgmm.it.clients;

import io.pgmm.it.support.Commands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** psql as the tests run it: no psqlrc, stop on the first error, user postgres over TCP. */
final class Psql {
  private Psql() {}

  static final Duration TIMEOUT = Duration.ofMinutes(2);

  static List<String> command(int port, String database, String... args) {
    List<String> cmd = new ArrayList<>(List.of(Commands.pgProgram("psql"),
        "-h", "127.0.0.1", "-p", Integer.toString(port), "-U", "postgres", "-d", database,
        "-X", "-v", "ON_ERROR_STOP=1"));
    cmd.addAll(List.of(args));
    return cmd;
  }

  static Commands.Result run(int port, String... args) {
    return Commands.run(command(port, "postgres", args), TIMEOUT);
  }
}
