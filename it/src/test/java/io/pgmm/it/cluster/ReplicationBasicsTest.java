package io.pgmm.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.pgmm.it.support.Commands;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.TestMethodOrder;
import org.postgresql.util.PSQLException;

/**
 * What a client does on one node is on every node once it hears COMMIT, and what it rolls back is
 * nowhere. Reads on the other nodes go through their sidecars at once, without waiting: the
 * read-after-acknowledge guarantee of DESIGN, "Global snapshot for reads".
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ReplicationBasicsTest {

  private static PgmmTestCluster cluster;

  @BeforeAll
  static void startCluster() {
    cluster = PgmmTestCluster.start(3);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** Reads through node {@code i}'s sidecar in autocommit: the global snapshot applies. */
  private static long countOn(int i, String sql) throws SQLException {
    try (Connection c = cluster.connect(i); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static String stringOn(int i, String sql) throws SQLException {
    try (Connection c = cluster.connect(i); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static void assertOnEveryNode(String sql, long expected) throws SQLException {
    for (int i = 1; i <= cluster.size(); i++) {
      assertThat(countOn(i, sql)).as("node %d: %s", i, sql).isEqualTo(expected);
    }
  }

  @Test
  @Order(1)
  void ddlInsertUpdateDeleteOnOneNodeAreVisibleOnTheOthersAtOnce() throws SQLException {
    try (Connection c = cluster.connect(1); Statement s = c.createStatement()) {
      s.execute("create table basics (id int primary key, v text, n int not null default 0)");
      assertOnEveryNode("select count(*) from pg_class where relname = 'basics'", 1);

      s.execute("insert into basics values (1, 'one'), (2, 'two'), (3, 'three')");
      assertOnEveryNode("select count(*) from basics", 3);

      assertThat(s.executeUpdate("update basics set v = 'TWO', n = n + 1 where id = 2")).isEqualTo(1);
      for (int i = 1; i <= 3; i++) {
        assertThat(stringOn(i, "select v || ':' || n from basics where id = 2")).as("node %d", i).isEqualTo("TWO:1");
      }

      assertThat(s.executeUpdate("delete from basics where id = 3")).isEqualTo(1);
      assertOnEveryNode("select count(*) from basics", 2);
      assertOnEveryNode("select count(*) from basics where id = 3", 0);

      s.execute("alter table basics add column extra text");
      s.execute("update basics set extra = 'x' || id");
      assertOnEveryNode("select count(*) from basics where extra = 'x' || id", 2);
    }
    assertSameEverywhere("basics", "id");
  }

  @Test
  @Order(2)
  void explicitBlocksCommittedByJdbcReplicate() throws SQLException {
    cluster.execute(1, "create table blocks (id int primary key, v int)");
    try (Connection c = cluster.connect(2)) {
      c.setAutoCommit(false);
      // More rounds than pgjdbc's prepareThreshold (5): COMMIT then goes as a named statement.
      try (PreparedStatement insert = c.prepareStatement("insert into blocks values (?, ?)")) {
        for (int round = 0; round < 12; round++) {
          insert.setInt(1, round * 2);
          insert.setInt(2, round);
          insert.executeUpdate();
          insert.setInt(1, round * 2 + 1);
          insert.setInt(2, round);
          insert.executeUpdate();
          c.commit();
          long expected = (round + 1) * 2L;
          for (int i = 1; i <= 3; i++) {
            assertThat(countOn(i, "select count(*) from blocks")).as("node %d after round %d", i, round)
                .isEqualTo(expected);
          }
        }
      }
    }
    assertSameEverywhere("blocks", "id");
  }

  @Test
  @Order(3)
  void multiStatementSimpleQueryReplicates() throws SQLException {
    cluster.execute(1, "create table multi (id int primary key, v text)");
    try (Connection c = cluster.connect(3, simpleProtocol()); Statement s = c.createStatement()) {
      s.execute("insert into multi values (1, 'a'); insert into multi values (2, 'b'); update multi set v = 'B' where id = 2");
      assertOnEveryNode("select count(*) from multi", 2);
      assertOnEveryNode("select count(*) from multi where v = 'B'", 1);
      s.execute("begin; insert into multi values (3, 'c'); commit");
      assertOnEveryNode("select count(*) from multi", 3);
    }
    assertSameEverywhere("multi", "id");
  }

  @Test
  @Order(4)
  void rolledBackTransactionsReplicateNothing() throws SQLException {
    cluster.execute(1, "create table rolled (id int primary key)");
    try (Connection c = cluster.connect(1); Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      s.execute("insert into rolled values (1)");
      c.rollback();

      s.execute("insert into rolled values (2)");
      assertThatThrownBy(() -> s.execute("select 1 / 0")).isInstanceOf(SQLException.class);
      // COMMIT of a failed block is a ROLLBACK; pgjdbc reports that as an error.
      try {
        c.commit();
      } catch (SQLException expected) {
        // either way nothing may be committed
      }
      c.rollback();
      c.setAutoCommit(true);
      s.execute("insert into rolled values (3)");
    }
    assertOnEveryNode("select count(*) from rolled", 1);
    assertOnEveryNode("select count(*) from rolled where id = 3", 1);
    for (int i = 1; i <= 3; i++) {
      assertThat(cluster.queryLong(i, "select count(*) from rolled")).as("node %d direct", i).isEqualTo(1);
    }
  }

  @Test
  @Order(5)
  void ddlInARolledBackBlockIsNotReplicated() throws SQLException {
    try (Connection c = cluster.connect(2); Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      s.execute("create table ghost (id int primary key)");
      s.execute("insert into ghost values (1)");
      c.rollback();
      // A committed transaction right after, so anything the rolled-back one left in flight would follow it.
      c.setAutoCommit(true);
      s.execute("create table after_ghost (id int primary key)");
    }
    assertOnEveryNode("select count(*) from pg_class where relname = 'after_ghost'", 1);
    for (int i = 1; i <= 3; i++) {
      assertThat(cluster.tableExists(i, "ghost")).as("ghost on node %d", i).isFalse();
    }
  }

  @Test
  @Order(6)
  void serialKeysFromEveryNodeNeverCollide() throws Exception {
    cluster.execute(1, "create table serials (id serial primary key, node int not null, k int not null)");
    List<Callable<Integer>> writers = new ArrayList<>();
    for (int node = 1; node <= 3; node++) {
      int n = node;
      writers.add(() -> {
        try (Connection c = cluster.connect(n);
             PreparedStatement insert = c.prepareStatement("insert into serials (node, k) values (?, ?)")) {
          for (int k = 0; k < 50; k++) {
            insert.setInt(1, n);
            insert.setInt(2, k);
            insert.executeUpdate();
          }
        }
        return 50;
      });
    }
    PgmmTestCluster.inParallel(writers);
    assertOnEveryNode("select count(*) from serials", 150);
    assertOnEveryNode("select count(distinct id) from serials", 150);
    for (int node = 1; node <= 3; node++) {
      assertOnEveryNode("select count(*) from serials where node = " + node, 50);
    }
    assertSameEverywhere("serials", "id");
  }

  @Test
  @Order(7)
  void aLargeTransactionReplicates() throws SQLException {
    cluster.execute(1, "create table big (id int primary key, payload text)");
    long started = System.nanoTime();
    try (Connection c = cluster.connect(1); Statement s = c.createStatement()) {
      s.execute("insert into big select g, md5(g::text) from generate_series(1, 200000) g");
    }
    long millis = (System.nanoTime() - started) / 1_000_000;
    System.out.println("[cluster-it] 200k-row insert committed in " + millis + " ms");
    assertOnEveryNode("select count(*) from big", 200_000);
    assertSameEverywhere("big", "id");
  }

  @Test
  @Order(8)
  void createTableAsCarriesItsRowsOnceAndMaterializedViewsComputeTheirOwn() throws SQLException {
    cluster.execute(2, "create table ctas_src (id int primary key, v int)");
    cluster.execute(2, "insert into ctas_src select g, g * 10 from generate_series(1, 10) g");
    cluster.execute(2, "create table ctas_copy as select * from ctas_src where id <= 5");
    cluster.execute(3, "create table ctas_copy2 as select * from ctas_src with data");
    cluster.execute(1, "create materialized view ctas_mv as select count(*) as n, sum(v) as total from ctas_src");
    assertOnEveryNode("select count(*) from ctas_copy", 5);
    assertOnEveryNode("select count(*) from ctas_copy2", 10);
    assertOnEveryNode("select n from ctas_mv", 10);
    assertOnEveryNode("select total from ctas_mv", 550);
  }

  @Test
  @Order(9)
  void selectIntoAndVolatileRewritesAreRefusedWithAHintAndChangeNothing() throws SQLException {
    cluster.execute(1, "create table rewrite_me (id int primary key)");
    cluster.execute(1, "insert into rewrite_me select generate_series(1, 3)");
    try (Connection c = cluster.connect(1); Statement s = c.createStatement()) {
      assertThatThrownBy(() -> s.execute("select 1 as a into select_into_target"))
          .isInstanceOfSatisfying(PSQLException.class, e -> {
            assertThat(e.getSQLState()).isEqualTo("0A000");
            assertThat(e.getServerErrorMessage().getHint()).contains("CREATE TABLE name AS");
          });
      for (String ddl : List.of("alter table rewrite_me add column r float8 default random()",
          "alter table rewrite_me add column u uuid default gen_random_uuid()",
          "alter table rewrite_me add column s serial")) {
        assertThatThrownBy(() -> s.execute(ddl)).as(ddl)
            .isInstanceOfSatisfying(PSQLException.class, e -> {
              assertThat(e.getSQLState()).isEqualTo("0A000");
              assertThat(e.getServerErrorMessage().getHint()).contains("UPDATE");
            });
      }
      s.execute("alter table rewrite_me add column r float8"); // the way the hint shows
      s.execute("update rewrite_me set r = id * 0.5");
    }
    for (int i = 1; i <= 3; i++) {
      assertThat(cluster.tableExists(i, "select_into_target")).as("select_into_target on node %d", i).isFalse();
    }
    assertOnEveryNode("select count(*) from information_schema.columns where table_name = 'rewrite_me'", 2);
    assertOnEveryNode("select count(*) from rewrite_me where r = id * 0.5", 3);
  }

  @Test
  @Order(10)
  void temporaryTablesCommitLocallyAndAMixedTransactionIsRefused() throws SQLException {
    cluster.execute(3, "create table beside_temp (id int primary key)");
    try (Connection c = cluster.connect(3); Statement s = c.createStatement()) {
      s.execute("create temp table scratch (a int)");
      s.execute("insert into scratch values (1)");
      // DDL on temporary tables stays local too, even though the session cannot tell it from its text.
      s.execute("create temp table dropped_soon (a int)");
      s.execute("alter table dropped_soon add column b int");
      s.execute("drop table dropped_soon");
      s.execute("do $$ begin create temp table inner_scratch (a int); drop table inner_scratch; end $$");
      c.setAutoCommit(false);
      s.execute("insert into scratch values (2)");
      c.commit();
      // A session with temporary tables still replicates its other writes.
      s.execute("insert into beside_temp values (1)");
      c.commit();
      s.execute("insert into scratch values (3)");
      s.execute("insert into beside_temp values (2)");
      assertThatThrownBy(c::commit).isInstanceOfSatisfying(PSQLException.class, e -> {
        assertThat(e.getSQLState()).isEqualTo("0A000");
        assertThat(e.getServerErrorMessage().getHint()).contains("temporary tables");
      });
      c.setAutoCommit(true);
      assertThat(countOn(s, "select count(*) from scratch")).isEqualTo(2);
    }
    assertOnEveryNode("select count(*) from beside_temp", 1);
  }

  @Test
  @Order(11)
  void aLocalTransactionInTheWayOfAnOlderReplayIsAbortedWith40001() throws Exception {
    cluster.execute(1, "create table contended (id int primary key, v int not null)");
    cluster.execute(1, "insert into contended values (1, 0)");
    try (Connection local = cluster.connect(1); Statement s = local.createStatement()) {
      local.setAutoCommit(false);
      s.execute("update contended set v = v + 1 where id = 1");
      // Still running while node 2's write arrives here: a cancel reaches a running statement only.
      java.util.concurrent.CompletableFuture<Void> sleeper = java.util.concurrent.CompletableFuture.runAsync(() -> {
        try {
          s.execute("select pg_sleep(30)");
        } catch (SQLException e) {
          throw new java.util.concurrent.CompletionException(e);
        }
      });
      cluster.execute(2, "update contended set v = v + 10 where id = 1"); // prepared before the local one
      assertThatThrownBy(sleeper::get).hasRootCauseInstanceOf(PSQLException.class)
          .rootCause().satisfies(e -> {
            assertThat(((PSQLException) e).getSQLState()).isEqualTo("40001");
            assertThat(e.getMessage()).contains("older transaction from node 2");
          });
      local.rollback();
    }
    assertOnEveryNode("select v from contended where id = 1", 10);
  }

  @Test
  @Order(12)
  void commitAndChainCommitsEverywhereAndGoesOnInALikeTransaction() throws SQLException {
    cluster.execute(3, "create table chained (id int primary key, step text not null)");
    cluster.execute(3, "create table chained_deferred (x int unique deferrable initially deferred)");
    try (Connection c = cluster.connect(3); Statement s = c.createStatement()) {
      // Extended protocol (pgjdbc): COMMIT AND CHAIN as a statement of its own.
      s.execute("begin isolation level repeatable read read write");
      s.execute("insert into chained values (1, 'before the chain')");
      s.execute("commit and chain");
      assertOnEveryNode("select count(*) from chained", 1);
      assertThat(stringOf(s, "select current_setting('transaction_isolation')")).isEqualTo("repeatable read");
      assertThat(stringOf(s, "select pg_current_xact_id_if_assigned() is null")).isEqualTo("t");
      s.execute("insert into chained values (2, 'in the chained transaction')");
      s.execute("rollback and chain");
      assertThat(stringOf(s, "select current_setting('transaction_isolation')")).isEqualTo("repeatable read");
      s.execute("commit");
    }
    assertOnEveryNode("select count(*) from chained", 1);
    try (Connection c = cluster.connect(3, simpleProtocol()); Statement s = c.createStatement()) {
      // Simple protocol, one string: the chained block stays open after the string ends.
      s.execute("begin read write; insert into chained values (3, 'script'); commit and chain;"
          + " insert into chained values (4, 'script, chained')");
      assertThat(stringOf(s, "select pg_current_xact_id_if_assigned() is not null")).isEqualTo("t");
      s.execute("commit");
      // A commit that fails (here its deferred check) starts no chained transaction, as in PostgreSQL.
      s.execute("begin; insert into chained_deferred values (1), (1)");
      assertThatThrownBy(() -> s.execute("commit and chain")).isInstanceOfSatisfying(PSQLException.class,
          e -> assertThat(e.getSQLState()).isEqualTo("23505"));
      assertThat(stringOf(s, "select pg_current_xact_id_if_assigned() is null")).isEqualTo("t");
    }
    assertOnEveryNode("select count(*) from chained", 3);
    assertOnEveryNode("select count(*) from chained_deferred", 0);
    assertSameEverywhere("chained", "id");
  }

  @Test
  @Order(13)
  void createIndexConcurrentlyRunsOnEveryNodeAndCreateDatabaseOnThisOne() throws SQLException {
    cluster.execute(2, "create table cic (id int primary key, v int)");
    cluster.execute(2, "insert into cic select g, g % 7 from generate_series(1, 1000) g");
    String validIndex = "select count(*) from pg_index x join pg_class c on c.oid = x.indexrelid"
        + " where c.relname = 'cic_v' and x.indisvalid";
    try (Connection c = cluster.connect(2); Statement s = c.createStatement()) {
      s.execute("create index concurrently cic_v on cic (v)");
      assertThat((Object) s.getWarnings()).isNull();
    }
    assertOnEveryNode(validIndex, 1);
    try (Connection c = cluster.connect(3, simpleProtocol()); Statement s = c.createStatement()) {
      assertThatThrownBy(() -> s.execute("create index concurrently cic_missing on cic (no_such_column)"))
          .isInstanceOfSatisfying(PSQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("42703"));
      s.execute("drop index concurrently cic_v");
    }
    assertOnEveryNode(validIndex, 0);
    assertOnEveryNode("select count(*) from pg_class where relname = 'cic_missing'", 0);

    // Not all-or-nothing: a node where it fails is named in a warning; the statement stands here.
    try (Connection direct = cluster.connectDirect(3); Statement s = direct.createStatement()) {
      s.execute("set session_replication_role = replica"); // past the DDL guard: this node alone, on purpose
      s.execute("create table cic_clash (a int)");
      s.execute("create index cic_w on cic_clash (a)");
    }
    try (Connection c = cluster.connect(1); Statement s = c.createStatement()) {
      s.execute("create index concurrently cic_w on cic (v)");
      assertThat((Object) s.getWarnings()).isNotNull();
      assertThat(s.getWarnings().getMessage()).contains("failed on node 3").contains("already exists");
      assertThat(s.getWarnings().getSQLState()).isEqualTo("01000");
    }
    assertThat(countOn(1, "select count(*) from pg_indexes where indexname = 'cic_w' and tablename = 'cic'"))
        .isEqualTo(1);
    assertThat(countOn(2, "select count(*) from pg_indexes where indexname = 'cic_w' and tablename = 'cic'"))
        .isEqualTo(1);

    cluster.execute(1, "create database pgmm_local_only");
    assertThat(countOn(1, "select count(*) from pg_database where datname = 'pgmm_local_only'")).isEqualTo(1);
    assertThat(countOn(2, "select count(*) from pg_database where datname = 'pgmm_local_only'")).isZero();
  }

  private static Properties simpleProtocol() {
    Properties p = new Properties();
    p.setProperty("preferQueryMode", "simple");
    return p;
  }

  private static String stringOf(Statement s, String sql) throws SQLException {
    try (ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  @Test
  @Order(14)
  void aLocalTransactionIdleInItsBlockGivesWayToAnOlderReplayAtOnce() throws SQLException {
    cluster.execute(1, "create table idle_holder (id int primary key, v int not null)");
    cluster.execute(1, "insert into idle_holder values (1, 0)");
    try (Connection local = cluster.connect(1); Statement s = local.createStatement()) {
      local.setAutoCommit(false);
      s.execute("update idle_holder set v = v + 1 where id = 1");
      // The client sits in its block, out of a cancel's reach; node 2's write must not wait for it.
      cluster.execute(2, "update idle_holder set v = v + 10 where id = 1");
      assertThatThrownBy(() -> s.execute("select 1")).isInstanceOfSatisfying(PSQLException.class, e -> {
        assertThat(e.getSQLState()).isEqualTo("40001");
        assertThat(e.getMessage()).contains("older transaction from node 2");
      });
      local.rollback();
      s.execute("update idle_holder set v = v + 100 where id = 1"); // the session goes on as usual
      local.commit();
    }
    try (Connection local = cluster.connect(1, simpleProtocol()); Statement s = local.createStatement()) {
      s.execute("begin; update idle_holder set v = v + 1 where id = 1");
      cluster.execute(3, "update idle_holder set v = v + 1000 where id = 1");
      // COMMIT of the failed block: PostgreSQL would answer ROLLBACK without an error.
      assertThatThrownBy(() -> s.execute("commit")).isInstanceOfSatisfying(PSQLException.class,
          e -> assertThat(e.getSQLState()).isEqualTo("40001"));
    }
    try (Connection local = cluster.connect(1); Statement s = local.createStatement()) {
      local.setAutoCommit(false);
      s.execute("update idle_holder set v = v + 1 where id = 1");
      cluster.execute(2, "update idle_holder set v = v + 10000 where id = 1");
      // The same through the extended protocol (pgjdbc's commit): an error, never a silent rollback.
      assertThatThrownBy(local::commit).isInstanceOfSatisfying(PSQLException.class,
          e -> assertThat(e.getSQLState()).isEqualTo("40001"));
    }
    assertOnEveryNode("select v from idle_holder where id = 1", 11110);
  }

  @Test
  @Order(15)
  void ddlTheSessionCannotSeeIsRefusedAndChangesNoNode() throws SQLException {
    cluster.execute(2, "create table guarded (id int primary key)");
    cluster.execute(2, "create function make_table() returns void language plpgsql as"
        + " $$ begin create table made_in_function (a int); end $$");
    try (Connection c = cluster.connect(2); Statement s = c.createStatement()) {
      for (String sql : List.of("do $$ begin create table made_in_do (a int); end $$",
          "do $$ begin execute 'alter table guarded add column b int'; end $$",
          "do $$ begin drop table guarded; end $$",
          "select make_table()")) {
        assertThatThrownBy(() -> s.execute(sql)).as(sql).isInstanceOfSatisfying(PSQLException.class, e -> {
          assertThat(e.getSQLState()).isEqualTo("0A000");
          assertThat(e.getServerErrorMessage().getMessage()).startsWith("pgmm cannot replicate ");
          assertThat(e.getServerErrorMessage().getHint()).contains("statement of its own");
        });
      }
      s.execute("comment on table guarded is 'café ☕'"); // the marks hash ASCII only: not refused
      c.setAutoCommit(false); // inside a block that ran captured DDL first, too
      s.execute("create table captured_first (a int)");
      assertThatThrownBy(() -> s.execute("do $$ begin create table made_after (a int); end $$"))
          .isInstanceOfSatisfying(PSQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("0A000"));
      c.rollback();
    }
    try (Connection direct = cluster.connectDirect(2); Statement s = direct.createStatement()) {
      assertThatThrownBy(() -> s.execute("create table made_directly (a int)"))
          .isInstanceOfSatisfying(PSQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("0A000"));
    }
    for (int i = 1; i <= 3; i++) {
      for (String table : List.of("made_in_do", "made_in_function", "made_after", "captured_first", "made_directly")) {
        assertThat(cluster.tableExists(i, table)).as("%s on node %d", table, i).isFalse();
      }
      assertThat(cluster.tableExists(i, "guarded")).as("guarded on node %d", i).isTrue();
    }
    assertOnEveryNode("select count(*) from information_schema.columns where table_name = 'guarded'", 1);
    assertOnEveryNode("select count(*) from pg_description where description = 'café ☕'", 1);
  }

  @Test
  @Order(16)
  void ddlWithNonAsciiTextIsRefusedUnlessTheClientEncodingIsUtf8() throws SQLException {
    Map<String, String> env = new java.util.HashMap<>(Map.of("PGCLIENTENCODING", "LATIN1"));
    if (cluster.password(1) != null) {
      env.put("PGPASSWORD", cluster.password(1));
    }
    // The sidecar would send the text to the peers as UTF-8 in a session that reads LATIN1: garbled.
    Commands.Result r = Commands.run(List.of(Commands.pgProgram("psql"), "-h", "127.0.0.1", "-p",
            String.valueOf(cluster.sidecarPort(1)), "-U", "postgres", "-d", "postgres", "-X",
            "-c", "create table encoded (id int primary key)", "-c", "comment on table encoded is 'café'"),
        env, java.nio.file.Path.of("."), Duration.ofMinutes(1));
    assertThat(r.exitCode()).as(r.stderr()).isNotZero();
    assertThat(r.stderr()).contains("pgmm cannot replicate DDL with non-ASCII text").contains("LATIN1");
    assertOnEveryNode("select count(*) from pg_class where relname = 'encoded'", 1); // ASCII DDL passes
    assertOnEveryNode("select count(*) from pg_description where objoid = 'encoded'::regclass", 0);

    // Outside a transaction too: the refused message leaves the statement unmarked, and the DDL
    // guard refuses it here, so it runs nowhere.
    Commands.Result cic = Commands.run(List.of(Commands.pgProgram("psql"), "-h", "127.0.0.1", "-p",
            String.valueOf(cluster.sidecarPort(1)), "-U", "postgres", "-d", "postgres", "-X",
            "-c", "create index concurrently \"encoded_ïd\" on encoded (id)"),
        env, java.nio.file.Path.of("."), Duration.ofMinutes(1));
    assertThat(cic.exitCode()).as(cic.stderr()).isNotZero();
    assertThat(cic.stderr()).contains("pgmm cannot replicate CREATE INDEX");
    // A failed CREATE INDEX CONCURRENTLY leaves an invalid index behind, as PostgreSQL always does.
    assertOnEveryNode("select count(*) from pg_index i join pg_class c on c.oid = i.indexrelid"
        + " where c.relname like 'encoded\\_%d' and i.indisvalid", 0);
    try (Connection direct = cluster.connectDirect(1); Statement s = direct.createStatement()) {
      s.execute("set session_replication_role = replica"); // past the DDL guard: this node alone
      s.execute("do $$ declare r record; begin for r in select oid::regclass::text as name from pg_class"
          + " where relname like 'encoded\\_%d' and relkind = 'i' loop execute 'drop index ' || r.name; end loop; end $$");
    }
  }

  private static long countOn(Statement s, String sql) throws SQLException {
    return Long.parseLong(stringOf(s, sql));
  }

  @Test
  @Order(100)
  void noPreparedTransactionIsLeftBehind() {
    await("pg_prepared_xacts empty on every node").atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      for (int i = 1; i <= 3; i++) {
        assertThat(cluster.preparedXacts(i)).as("prepared transactions on node %d", i).isZero();
      }
    });
    // Decisions done everywhere leave the decision log, and rollbacks their tombstones (else both
    // grow with every transaction).
    await("decision logs and tombstones emptied").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      for (int i = 1; i <= 3; i++) {
        assertThat(cluster.runtime(i).decisionsHeld()).as("decisions held on node %d", i).isZero();
        assertThat(cluster.runtime(i).tombstonesHeld()).as("tombstones held on node %d", i).isZero();
      }
    });
  }

  private static void assertSameEverywhere(String table, String orderBy) throws SQLException {
    String first = cluster.md5(1, table, orderBy);
    for (int i = 2; i <= 3; i++) {
      assertThat(cluster.md5(i, table, orderBy)).as("%s on node %d vs node 1", table, i).isEqualTo(first);
    }
  }
}
