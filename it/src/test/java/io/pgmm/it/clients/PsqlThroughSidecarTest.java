package io.pgmm.it.clients;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgmm.it.support.Commands;
import io.pgmm.it.support.PgmmTestNode;
import io.pgmm.it.support.TestDirs;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** psql through the sidecar prints exactly what it prints against PostgreSQL itself. */
class PsqlThroughSidecarTest {

  private static PgmmTestNode node;
  private static Path scratch;

  @BeforeAll
  static void startNode() {
    node = PgmmTestNode.start("psql");
    scratch = TestDirs.create("psql-files");
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      node.close();
    }
    TestDirs.deleteQuietly(scratch);
  }

  @Test
  void queryWithDashCPrintsWhatPostgresPrints() {
    String[] args = {
        "-c", "select n, n * n as square, md5(n::text) as hash, n % 3 = 0 as fizz, null::text as nothing"
            + " from generate_series(1, 25) n",
        "-c", "select current_user, current_database(), current_setting('server_version_num')",
        "-c", "select 'tab\there' as t, E'line\\nbreak' as l, 'ünïcödé ✓' as u, 1.5::float8 / 3 as f",
        "-c", "show standard_conforming_strings",
        "-c", "\\dt pg_catalog.pg_class"};

    Commands.Result direct = Psql.run(node.postgresPort(), args).assertSuccess();
    Commands.Result proxied = Psql.run(node.port(), args).assertSuccess();

    assertThat(direct.stdout()).contains("(25 rows)");
    assertThat(proxied.stdout()).isEqualTo(direct.stdout());
    assertThat(proxied.stderr()).isEqualTo(direct.stderr());
  }

  @Test
  void scriptWithCopyDoBlockAndHandledErrorsPrintsWhatPostgresPrints() throws URISyntaxException {
    Path script = Path.of(PsqlThroughSidecarTest.class.getResource("/clients/psql-script.sql").toURI());

    Commands.Result direct = Psql.run(node.postgresPort(), "-f", script.toString()).assertSuccess();
    Commands.Result proxied = Psql.run(node.port(), "-f", script.toString()).assertSuccess();

    assertThat(direct.stdout()).contains("COPY 2", "DO", "first item is apple", "(7 rows)", "507");
    assertThat(direct.stderr()).contains("NOTICE:  caught 23505", "ERROR:  division by zero",
        "ERROR:  current transaction is aborted");
    assertThat(proxied.stdout()).isEqualTo(direct.stdout());
    assertThat(proxied.stderr()).isEqualTo(direct.stderr());
  }

  @Test
  void csvCopyToAndFromFileRoundTripsTenThousandRows() throws Exception {
    try (Connection c = node.connectDirect(); Statement s = c.createStatement()) {
      s.execute("drop table if exists copy_src, copy_back");
      s.execute("create table copy_src (id int primary key, name text, amount numeric, at timestamptz, flags bool[])");
      // Quotes, commas, newlines, NULLs and non-ASCII, so the CSV needs all of its escaping.
      s.execute("insert into copy_src select g,"
          + " case when g % 97 = 0 then null else 'name \"' || g || E'\", with comma\\nand newline ü' end,"
          + " g * 1.25, timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute',"
          + " array[g % 2 = 0, null]"
          + " from generate_series(1, 10000) g");
      s.execute("create table copy_back (like copy_src including all)");
    }
    Path viaSidecar = scratch.resolve("via-sidecar.csv");
    Path direct = scratch.resolve("direct.csv");

    Psql.run(node.port(), "-c", "\\copy copy_src to '" + viaSidecar + "' with (format csv, header)")
        .assertSuccess();
    Psql.run(node.postgresPort(), "-c", "\\copy copy_src to '" + direct + "' with (format csv, header)")
        .assertSuccess();
    Commands.Result in = Psql.run(node.port(),
        "-c", "\\copy copy_back from '" + viaSidecar + "' with (format csv, header)").assertSuccess();

    assertThat(in.stdout()).contains("COPY 10000");
    assertThat(Files.readAllBytes(viaSidecar)).isEqualTo(Files.readAllBytes(direct));
    try (Connection c = node.connectDirect(); Statement s = c.createStatement()) {
      assertThat(single(s, "select count(*) from copy_back")).isEqualTo(10000L);
      assertThat(single(s, "select count(*) from (select * from copy_src except all select * from copy_back) d"))
          .isEqualTo(0L);
      assertThat(single(s, "select count(*) from (select * from copy_back except all select * from copy_src) d"))
          .isEqualTo(0L);
    }
  }

  private static long single(Statement s, String sql) throws Exception {
    try (ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
