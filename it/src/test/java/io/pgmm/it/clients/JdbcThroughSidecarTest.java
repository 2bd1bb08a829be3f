package io.pgmm.it.clients;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.pgmm.it.support.PgmmTestNode;
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/** pgjdbc through the sidecar: the driver features that use the protocol beyond simple queries. */
class JdbcThroughSidecarTest {

  private static PgmmTestNode node;

  @BeforeAll
  static void startNode() {
    node = PgmmTestNode.start("jdbc");
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      node.close();
    }
  }

  private static Connection connect(String... keyValues) throws SQLException {
    Properties p = new Properties();
    p.setProperty("ApplicationName", "JdbcThroughSidecarTest");
    for (int i = 0; i < keyValues.length; i += 2) {
      p.setProperty(keyValues[i], keyValues[i + 1]);
    }
    return node.connect(p);
  }

  @ParameterizedTest(name = "prepareThreshold={0}")
  @ValueSource(ints = {1, 5})
  void preparedStatementBecomesServerSideAfterThreshold(int threshold) throws SQLException {
    try (Connection c = connect("prepareThreshold", Integer.toString(threshold));
        PreparedStatement ps = c.prepareStatement("select ?::int * 7 as product, 'marker-" + threshold + "' as m")) {
      for (int i = 0; i < 10; i++) {
        ps.setInt(1, i);
        try (ResultSet rs = ps.executeQuery()) {
          assertThat(rs.next()).isTrue();
          assertThat(rs.getInt(1)).isEqualTo(i * 7);
        }
      }
      try (PreparedStatement check = c.prepareStatement(
              "select count(*) from pg_prepared_statements where not from_sql and statement like ?")) {
        check.setString(1, "%marker-" + threshold + "%");
        try (ResultSet rs = check.executeQuery()) {
          rs.next();
          assertThat(rs.getInt(1)).as("server-side statements for the query").isEqualTo(1);
        }
      }
    }
  }

  @ParameterizedTest(name = "reWriteBatchedInserts={0}")
  @ValueSource(booleans = {false, true})
  void batchOfThousandInsertsArrives(boolean rewrite) throws SQLException {
    String table = "batch_" + rewrite;
    try (Connection c = connect("reWriteBatchedInserts", Boolean.toString(rewrite));
        Statement s = c.createStatement()) {
      s.execute("create table " + table + " (id int primary key, v text)");
      int[] counts;
      try (PreparedStatement ps = c.prepareStatement("insert into " + table + " values (?, ?)")) {
        for (int i = 0; i < 1000; i++) {
          ps.setInt(1, i);
          ps.setString(2, "value " + i);
          ps.addBatch();
        }
        counts = ps.executeBatch();
      }
      assertThat(counts).hasSize(1000);
      if (rewrite) {
        assertThat(counts).containsOnly(Statement.SUCCESS_NO_INFO);
      } else {
        assertThat(counts).containsOnly(1);
      }
    }
    try (Connection c = node.connectDirect(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("select count(*), sum(id), count(distinct v) from " + table)) {
      rs.next();
      assertThat(rs.getLong(1)).isEqualTo(1000);
      assertThat(rs.getLong(2)).isEqualTo(999 * 1000 / 2);
      assertThat(rs.getLong(3)).isEqualTo(1000);
    }
  }

  @Test
  void copyInAndCopyOutRoundTripHundredThousandRows() throws Exception {
    StringBuilder csv = new StringBuilder();
    for (int i = 0; i < 100_000; i++) {
      csv.append(i).append(",\"text, \"\"quoted\"\" ").append(i).append("\",")
          .append(i / 2).append(i % 2 == 0 ? "" : ".5").append('\n'); // as PostgreSQL prints float8
    }
    String input = csv.toString();
    try (Connection c = connect(); Statement s = c.createStatement()) {
      s.execute("create table copy_rows (id int primary key, t text, x float8)");
      CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();

      long in = copy.copyIn("copy copy_rows from stdin with (format csv)", new StringReader(input));
      StringWriter out = new StringWriter();
      long outRows = copy.copyOut("copy (select * from copy_rows order by id) to stdout with (format csv)", out);

      assertThat(in).isEqualTo(100_000);
      assertThat(outRows).isEqualTo(100_000);
      assertThat(out.toString()).isEqualTo(input);
      // The connection is in a clean state after both copies.
      try (ResultSet rs = s.executeQuery("select count(*) from copy_rows")) {
        rs.next();
        assertThat(rs.getLong(1)).isEqualTo(100_000);
      }
    }
  }

  @Test
  void copyInWithBadRowFailsWithPostgresErrorAndConnectionStaysUsable() throws Exception {
    try (Connection c = connect(); Statement s = c.createStatement()) {
      s.execute("create table copy_bad (id int primary key)");
      CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
      SQLException e = catchThrowableOfType(SQLException.class,
          () -> copy.copyIn("copy copy_bad from stdin", new StringReader("1\n2\nnot a number\n4\n")));
      assertThat((Throwable) e).isNotNull();
      assertThat(e.getSQLState()).isEqualTo("22P02");
      try (ResultSet rs = s.executeQuery("select count(*) from copy_bad")) {
        rs.next();
        assertThat(rs.getLong(1)).isZero();
      }
    }
  }

  @Test
  void binaryTransferRoundTripsEveryCommonType() throws SQLException {
    OffsetDateTime at = OffsetDateTime.of(2024, 2, 29, 23, 59, 58, 123_456_000, ZoneOffset.UTC);
    UUID uuid = UUID.fromString("0f8fad5b-d9cb-469f-a165-70867728950e");
    byte[] bytes = new byte[256 * 4];
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = (byte) i;
    }
    BigDecimal numeric = new BigDecimal("-123456789012345678901234567890.000000000123456789");
    Integer[] ints = {Integer.MIN_VALUE, -1, 0, null, Integer.MAX_VALUE};
    String[] texts = {"a", "", null, "ünï, \"quoted\"", "{braces}"};

    // prepareThreshold=-1 makes pgjdbc use binary from the first execution, for parameters and results.
    try (Connection c = connect("binaryTransfer", "true", "prepareThreshold", "-1");
        Statement s = c.createStatement()) {
      s.execute("create table binary_types (i int, b bigint, f float8, nan float8, n numeric,"
          + " ts timestamptz, u uuid, by bytea, ia int[], ta text[], nothing int)");
      try (PreparedStatement ps = c.prepareStatement("insert into binary_types values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
        ps.setInt(1, Integer.MIN_VALUE);
        ps.setLong(2, Long.MAX_VALUE);
        ps.setDouble(3, -1.0e-300);
        ps.setDouble(4, Double.NaN);
        ps.setBigDecimal(5, numeric);
        ps.setObject(6, at);
        ps.setObject(7, uuid);
        ps.setBytes(8, bytes);
        ps.setArray(9, c.createArrayOf("int4", ints));
        ps.setArray(10, c.createArrayOf("text", texts));
        ps.setNull(11, java.sql.Types.INTEGER);
        assertThat(ps.executeUpdate()).isEqualTo(1);
      }
      try (PreparedStatement ps = c.prepareStatement("select * from binary_types where u = ?")) {
        ps.setObject(1, uuid);
        try (ResultSet rs = ps.executeQuery()) {
          assertThat(rs.next()).isTrue();
          assertThat(rs.getInt("i")).isEqualTo(Integer.MIN_VALUE);
          assertThat(rs.getLong("b")).isEqualTo(Long.MAX_VALUE);
          assertThat(rs.getDouble("f")).isEqualTo(-1.0e-300);
          assertThat(rs.getDouble("nan")).isNaN();
          assertThat(rs.getBigDecimal("n")).isEqualTo(numeric);
          assertThat(rs.getObject("ts", OffsetDateTime.class)).isEqualTo(at);
          assertThat(rs.getObject("u", UUID.class)).isEqualTo(uuid);
          assertThat(rs.getBytes("by")).isEqualTo(bytes);
          Array ia = rs.getArray("ia");
          assertThat((Integer[]) ia.getArray()).containsExactly(ints);
          assertThat((String[]) rs.getArray("ta").getArray()).containsExactly(texts);
          rs.getInt("nothing");
          assertThat(rs.wasNull()).isTrue();
          assertThat(rs.next()).isFalse();
        }
      }
      // The server really produced the values: compare with its own text rendering.
      try (ResultSet rs = s.executeQuery("select n::text, encode(sha256(by), 'hex'), ia::text from binary_types")) {
        rs.next();
        assertThat(rs.getString(1)).isEqualTo(numeric.toPlainString());
        assertThat(rs.getString(2)).isEqualTo(sha256Hex(bytes));
        assertThat(rs.getString(3)).isEqualTo("{-2147483648,-1,0,NULL,2147483647}");
      }
    }
  }

  @Test
  void fetchSizeReadsLargeResultInSuspendedPortalChunks() throws SQLException {
    // With autocommit off and a fetch size, pgjdbc sends Execute with a row limit: PostgreSQL
    // answers PortalSuspended, and the driver sends Execute again for the next chunk.
    try (Connection c = connect()) {
      c.setAutoCommit(false);
      try (PreparedStatement ps = c.prepareStatement("select g, repeat('x', g % 50) from generate_series(1, ?) g")) {
        ps.setFetchSize(100);
        ps.setInt(1, 10_000);
        long rows = 0;
        long sum = 0;
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            rows++;
            sum += rs.getInt(1);
            assertThat(rs.getString(2)).hasSize(rs.getInt(1) % 50);
          }
        }
        assertThat(rows).isEqualTo(10_000);
        assertThat(sum).isEqualTo(10_000L * 10_001 / 2);
      }
      c.commit();
    }
  }

  @Test
  void commitIsVisibleToOtherConnectionsAndRollbackIsNot() throws SQLException {
    try (Connection writer = connect(); Connection reader = connect(); Statement rs = reader.createStatement()) {
      try (Statement s = writer.createStatement()) {
        s.execute("create table tx_visibility (id int primary key)");
      }
      writer.setAutoCommit(false);
      try (Statement s = writer.createStatement()) {
        s.executeUpdate("insert into tx_visibility values (1)");
        assertThat(count(rs, "select count(*) from tx_visibility")).as("uncommitted insert").isZero();
        writer.commit();
        assertThat(count(rs, "select count(*) from tx_visibility where id = 1")).as("after commit").isEqualTo(1);

        s.executeUpdate("insert into tx_visibility values (2)");
        assertThat(count(s, "select count(*) from tx_visibility")).as("own insert, in transaction").isEqualTo(2);
        writer.rollback();
        assertThat(count(s, "select count(*) from tx_visibility")).as("writer after rollback").isEqualTo(1);
        assertThat(count(rs, "select count(*) from tx_visibility")).as("reader after rollback").isEqualTo(1);
      }
      writer.setAutoCommit(true);
    }
  }

  @Test
  void cancelFromAnotherThreadStopsSleepWith57014AndConnectionStaysUsable() throws Exception {
    try (Connection c = connect(); Statement sleeper = c.createStatement()) {
      int pid;
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select pg_backend_pid()")) {
        rs.next();
        pid = rs.getInt(1);
      }
      CompletableFuture<SQLException> sleep = CompletableFuture.supplyAsync(() -> {
        try {
          sleeper.execute("select pg_sleep(60)");
          return null;
        } catch (SQLException e) {
          return e;
        }
      });
      try (Connection direct = node.connectDirect();
          PreparedStatement ps = direct.prepareStatement(
              "select count(*) from pg_stat_activity where pid = ? and state = 'active' and query like '%pg_sleep%'")) {
        ps.setInt(1, pid);
        await().atMost(Duration.ofSeconds(10)).until(() -> {
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getInt(1) == 1;
          }
        });
      }

      long start = System.nanoTime();
      sleeper.cancel();
      SQLException e = sleep.get(10, TimeUnit.SECONDS);
      long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

      assertThat((Throwable) e).as("pg_sleep(60) was not interrupted").isNotNull();
      assertThat(e.getSQLState()).isEqualTo("57014");
      assertThat(elapsedMillis).isLessThan(5_000);
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select 41 + 1")) {
        rs.next();
        assertThat(rs.getInt(1)).isEqualTo(42);
      }
    }
  }

  @Test
  void errorInTransactionGives25P02UntilRollbackAsPostgresDoes() throws SQLException {
    List<String> proxied;
    try (Connection c = connect()) {
      proxied = abortedTransactionStates(c, "aborted_proxy");
    }
    List<String> direct;
    try (Connection c = node.connectDirect()) {
      direct = abortedTransactionStates(c, "aborted_direct");
    }

    assertThat(direct).containsExactly("ok", "22012", "25P02", "25P02", "ok", "ok", "ok", "1");
    assertThat(proxied).isEqualTo(direct);
  }

  /** Runs a fixed sequence and returns each step's SQLSTATE, "ok", or a final count. */
  private static List<String> abortedTransactionStates(Connection c, String table) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("create table " + table + " (id int)");
    }
    c.setAutoCommit(false);
    List<String> states = new ArrayList<>();
    states.add(step(() -> c.createStatement().executeUpdate("insert into " + table + " values (1)")));
    states.add(step(() -> c.createStatement().executeQuery("select 1 / 0")));
    states.add(step(() -> c.createStatement().executeQuery("select 1")));
    states.add(step(() -> {
      try (PreparedStatement ps = c.prepareStatement("select ?::int")) {
        ps.setInt(1, 5);
        ps.executeQuery();
      }
    }));
    // COMMIT of an aborted transaction: PostgreSQL answers ROLLBACK, which pgjdbc accepts
    // silently (raiseExceptionOnSilentRollback is off by default); the transaction is over.
    states.add(step(c::commit));
    states.add(step(c::rollback));
    states.add(step(() -> c.createStatement().executeUpdate("insert into " + table + " values (2)")));
    c.commit();
    c.setAutoCommit(true);
    try (Statement s = c.createStatement()) {
      states.add(Long.toString(count(s, "select count(*) from " + table)));
    }
    return states;
  }

  private interface SqlStep {
    void run() throws SQLException;
  }

  private static String step(SqlStep step) {
    try {
      step.run();
      return "ok";
    } catch (SQLException e) {
      return e.getSQLState();
    }
  }

  private static long count(Statement s, String sql) throws SQLException {
    try (ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  static String sha256Hex(byte[] bytes) {
    try {
      return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
