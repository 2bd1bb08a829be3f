package io.pgmm.server.sql;

import static io.pgmm.server.sql.StatementKind.BEGIN;
import static io.pgmm.server.sql.StatementKind.CALL;
import static io.pgmm.server.sql.StatementKind.COMMIT;
import static io.pgmm.server.sql.StatementKind.COMMIT_PREPARED;
import static io.pgmm.server.sql.StatementKind.DDL;
import static io.pgmm.server.sql.StatementKind.DDL_CREATE_TABLE_AS;
import static io.pgmm.server.sql.StatementKind.DO;
import static io.pgmm.server.sql.StatementKind.EXECUTE;
import static io.pgmm.server.sql.StatementKind.LISTEN;
import static io.pgmm.server.sql.StatementKind.LOCAL_ONLY;
import static io.pgmm.server.sql.StatementKind.LOCK;
import static io.pgmm.server.sql.StatementKind.NOTIFY;
import static io.pgmm.server.sql.StatementKind.NOT_IN_BLOCK;
import static io.pgmm.server.sql.StatementKind.OTHER;
import static io.pgmm.server.sql.StatementKind.PREPARE_STATEMENT;
import static io.pgmm.server.sql.StatementKind.PREPARE_TRANSACTION;
import static io.pgmm.server.sql.StatementKind.READ;
import static io.pgmm.server.sql.StatementKind.RELEASE_SAVEPOINT;
import static io.pgmm.server.sql.StatementKind.ROLLBACK;
import static io.pgmm.server.sql.StatementKind.ROLLBACK_PREPARED;
import static io.pgmm.server.sql.StatementKind.ROLLBACK_TO_SAVEPOINT;
import static io.pgmm.server.sql.StatementKind.SAVEPOINT;
import static io.pgmm.server.sql.StatementKind.SET;
import static io.pgmm.server.sql.StatementKind.SET_SESSION_CHARACTERISTICS;
import static io.pgmm.server.sql.StatementKind.SET_TRANSACTION;
import static io.pgmm.server.sql.StatementKind.TRUNCATE;
import static io.pgmm.server.sql.StatementKind.WRITE;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class StatementClassifierTest {

  private static Statement one(String sql) {
    List<Statement> statements = StatementClassifier.classify(sql);
    assertThat(statements).as(sql).hasSize(1);
    return statements.get(0);
  }

  static Stream<Arguments> kinds() {
    return Stream.of(
        // transaction control
        Arguments.of("BEGIN", BEGIN),
        Arguments.of("begin work", BEGIN),
        Arguments.of("Begin Transaction", BEGIN),
        Arguments.of("START TRANSACTION", BEGIN),
        Arguments.of("start transaction read write", BEGIN),
        Arguments.of("COMMIT", COMMIT),
        Arguments.of("commit work", COMMIT),
        Arguments.of("COMMIT TRANSACTION", COMMIT),
        Arguments.of("END", COMMIT),
        Arguments.of("end transaction", COMMIT),
        Arguments.of("COMMIT AND NO CHAIN", COMMIT),
        Arguments.of("ROLLBACK", ROLLBACK),
        Arguments.of("rollback work", ROLLBACK),
        Arguments.of("ABORT", ROLLBACK),
        Arguments.of("abort transaction", ROLLBACK),
        Arguments.of("ROLLBACK AND CHAIN", ROLLBACK),
        Arguments.of("SAVEPOINT a", SAVEPOINT),
        Arguments.of("RELEASE SAVEPOINT a", RELEASE_SAVEPOINT),
        Arguments.of("release a", RELEASE_SAVEPOINT),
        Arguments.of("ROLLBACK TO SAVEPOINT a", ROLLBACK_TO_SAVEPOINT),
        Arguments.of("rollback to a", ROLLBACK_TO_SAVEPOINT),
        Arguments.of("ROLLBACK TRANSACTION TO SAVEPOINT a", ROLLBACK_TO_SAVEPOINT),
        Arguments.of("PREPARE TRANSACTION 'x'", PREPARE_TRANSACTION),
        Arguments.of("COMMIT PREPARED 'x'", COMMIT_PREPARED),
        Arguments.of("ROLLBACK PREPARED 'x'", ROLLBACK_PREPARED),
        Arguments.of("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", SET_TRANSACTION),
        Arguments.of("SET LOCAL TRANSACTION READ ONLY", SET_TRANSACTION),
        Arguments.of("SET TRANSACTION SNAPSHOT '00000003-0000001B-1'", SET_TRANSACTION),
        Arguments.of("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY", SET_SESSION_CHARACTERISTICS),
        // reads and session commands
        Arguments.of("SELECT 1", READ),
        Arguments.of("select * from t where a = 'INSERT'", READ),
        Arguments.of("(SELECT 1)", READ),
        Arguments.of("((select 1) union (select 2))", READ),
        Arguments.of("VALUES (1), (2)", READ),
        Arguments.of("TABLE t", READ),
        Arguments.of("SHOW search_path", READ),
        Arguments.of("WITH x AS (SELECT 1) SELECT * FROM x", READ),
        Arguments.of("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT * FROM r", READ),
        Arguments.of("EXPLAIN SELECT 1", READ),
        Arguments.of("EXPLAIN DELETE FROM t", READ),
        Arguments.of("EXPLAIN VERBOSE UPDATE t SET a = 1", READ),
        Arguments.of("EXPLAIN (COSTS OFF) INSERT INTO t VALUES (1)", READ),
        Arguments.of("EXPLAIN (ANALYZE false) DELETE FROM t", READ),
        Arguments.of("EXPLAIN (ANALYZE off, BUFFERS) DELETE FROM t", READ),
        Arguments.of("EXPLAIN ANALYZE SELECT 1", READ),
        Arguments.of("DECLARE c CURSOR FOR SELECT * FROM t", READ),
        Arguments.of("DECLARE c NO SCROLL CURSOR WITH HOLD FOR SELECT 1", READ),
        Arguments.of("FETCH 10 FROM c", READ),
        Arguments.of("MOVE NEXT IN c", READ),
        Arguments.of("CLOSE c", READ),
        Arguments.of("DISCARD ALL", READ),
        Arguments.of("DEALLOCATE p", READ),
        Arguments.of("DEALLOCATE PREPARE ALL", READ),
        Arguments.of("COPY t TO STDOUT", READ),
        Arguments.of("COPY (SELECT * FROM t) TO STDOUT WITH (FORMAT csv)", READ),
        Arguments.of("COPY t (a, b) TO '/tmp/x'", READ),
        Arguments.of("LISTEN ch", LISTEN),
        Arguments.of("UNLISTEN *", LISTEN),
        Arguments.of("NOTIFY ch, 'payload'", NOTIFY),
        Arguments.of("SET search_path = public", SET),
        Arguments.of("SET LOCAL work_mem TO '4MB'", SET),
        Arguments.of("SET SESSION statement_timeout = 0", SET),
        Arguments.of("RESET ALL", SET),
        Arguments.of("SET TIME ZONE 'UTC'", SET),
        Arguments.of("PREPARE p AS SELECT 1", PREPARE_STATEMENT),
        Arguments.of("PREPARE p (int) AS INSERT INTO t VALUES ($1)", PREPARE_STATEMENT),
        Arguments.of("EXECUTE p(1)", EXECUTE),
        Arguments.of("LOCK TABLE t IN ACCESS EXCLUSIVE MODE", LOCK),
        Arguments.of("lock t", LOCK),
        // writes
        Arguments.of("INSERT INTO t VALUES (1)", WRITE),
        Arguments.of("UPDATE t SET a = 1", WRITE),
        Arguments.of("DELETE FROM t", WRITE),
        Arguments.of("MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN DELETE", WRITE),
        Arguments.of("COPY t FROM STDIN", WRITE),
        Arguments.of("COPY t (a, b) FROM STDIN WITH (FORMAT csv)", WRITE),
        Arguments.of("COPY (DELETE FROM t RETURNING *) TO STDOUT", WRITE),
        Arguments.of("WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x", WRITE),
        Arguments.of("WITH x AS MATERIALIZED (UPDATE t SET a = 1 RETURNING a) SELECT 1", WRITE),
        Arguments.of("WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", WRITE),
        Arguments.of("WITH x AS (SELECT 1), y AS (SELECT 2) DELETE FROM t", WRITE),
        Arguments.of("EXPLAIN ANALYZE DELETE FROM t", WRITE),
        Arguments.of("explain analyse verbose update t set a = 1", WRITE),
        Arguments.of("EXPLAIN (ANALYZE) DELETE FROM t", WRITE),
        Arguments.of("EXPLAIN (ANALYZE true) DELETE FROM t", WRITE),
        Arguments.of("EXPLAIN (ANALYZE, BUFFERS) INSERT INTO t VALUES (1)", WRITE),
        Arguments.of("EXPLAIN (BUFFERS, ANALYZE 1, FORMAT json) UPDATE t SET a = 2", WRITE),
        Arguments.of("CALL p()", CALL),
        Arguments.of("DO $$ BEGIN COMMIT; END $$", DO),
        Arguments.of("DO LANGUAGE plpgsql 'BEGIN NULL; END'", DO),
        Arguments.of("TRUNCATE t", TRUNCATE),
        Arguments.of("truncate table a, b restart identity cascade", TRUNCATE),
        // DDL
        Arguments.of("CREATE TABLE t (a int primary key, b text GENERATED ALWAYS AS (a::text) STORED)", DDL),
        Arguments.of("create table if not exists t (a int)", DDL),
        Arguments.of("CREATE UNLOGGED TABLE t (a int)", DDL),
        Arguments.of("CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (1) TO (10)", DDL),
        Arguments.of("ALTER TABLE t ADD COLUMN c int", DDL),
        Arguments.of("DROP TABLE t", DDL),
        Arguments.of("CREATE INDEX i ON t (a)", DDL),
        Arguments.of("CREATE UNIQUE INDEX IF NOT EXISTS i ON t (a)", DDL),
        Arguments.of("DROP INDEX i", DDL),
        Arguments.of("CREATE VIEW v AS SELECT 1", DDL),
        Arguments.of("CREATE OR REPLACE VIEW v AS SELECT 1", DDL),
        Arguments.of("CREATE RECURSIVE VIEW v(n) AS SELECT 1", DDL),
        Arguments.of("ALTER MATERIALIZED VIEW mv RENAME TO mv2", DDL),
        Arguments.of("DROP MATERIALIZED VIEW mv", DDL),
        Arguments.of("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$", DDL),
        Arguments.of("CREATE OR REPLACE PROCEDURE p() LANGUAGE plpgsql AS $$ BEGIN COMMIT; END $$", DDL),
        Arguments.of("DROP FUNCTION f()", DDL),
        Arguments.of("CREATE TYPE mood AS ENUM ('sad', 'ok')", DDL),
        Arguments.of("CREATE DOMAIN d AS int CHECK (VALUE > 0)", DDL),
        Arguments.of("CREATE SCHEMA s", DDL),
        Arguments.of("CREATE SEQUENCE s", DDL),
        Arguments.of("ALTER SEQUENCE s RESTART", DDL),
        Arguments.of("CREATE TRIGGER tr AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()", DDL),
        Arguments.of("CREATE CONSTRAINT TRIGGER tr AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()", DDL),
        Arguments.of("CREATE EXTENSION IF NOT EXISTS pgcrypto", DDL),
        Arguments.of("CREATE POLICY p ON t USING (true)", DDL),
        Arguments.of("CREATE RULE r AS ON INSERT TO t DO INSTEAD NOTHING", DDL),
        Arguments.of("COMMENT ON TABLE t IS 'x; y'", DDL),
        Arguments.of("GRANT SELECT ON t TO bob", DDL),
        Arguments.of("REVOKE ALL ON t FROM bob", DDL),
        Arguments.of("ALTER TABLE t OWNER TO bob", DDL),
        Arguments.of("CREATE ROLE bob LOGIN", DDL),
        Arguments.of("ALTER USER bob PASSWORD 'x'", DDL),
        Arguments.of("DROP ROLE bob", DDL),
        Arguments.of("REFRESH MATERIALIZED VIEW mv", DDL),
        Arguments.of("SECURITY LABEL ON TABLE t IS 'x'", DDL),
        Arguments.of("REASSIGN OWNED BY a TO b", DDL),
        Arguments.of("DROP OWNED BY a", DDL),
        Arguments.of("ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO bob", DDL),
        Arguments.of("IMPORT FOREIGN SCHEMA s FROM SERVER srv INTO s", DDL),
        Arguments.of("ALTER DATABASE d SET work_mem = '8MB'", DDL),
        Arguments.of("ALTER TABLESPACE ts RENAME TO ts2", DDL),
        Arguments.of("CREATE TABLE t AS SELECT 1", DDL_CREATE_TABLE_AS),
        Arguments.of("CREATE TABLE t (a) AS SELECT 1", DDL_CREATE_TABLE_AS),
        Arguments.of("CREATE TABLE IF NOT EXISTS t WITH (fillfactor = 70) AS TABLE s WITH NO DATA", DDL_CREATE_TABLE_AS),
        Arguments.of("CREATE UNLOGGED TABLE t AS EXECUTE p", DDL_CREATE_TABLE_AS),
        Arguments.of("CREATE MATERIALIZED VIEW mv AS SELECT 1", DDL_CREATE_TABLE_AS),
        Arguments.of("SELECT 1 INTO t", DDL_CREATE_TABLE_AS),
        Arguments.of("SELECT a, b INTO UNLOGGED t FROM s", DDL_CREATE_TABLE_AS),
        Arguments.of("(SELECT 1 INTO t)", DDL_CREATE_TABLE_AS),
        Arguments.of("WITH x AS (SELECT 1) SELECT * INTO t FROM x", DDL_CREATE_TABLE_AS),
        Arguments.of("EXPLAIN ANALYZE CREATE TABLE t AS SELECT 1", DDL_CREATE_TABLE_AS),
        // cannot run in a transaction block
        Arguments.of("VACUUM", NOT_IN_BLOCK),
        Arguments.of("VACUUM (ANALYZE) t", NOT_IN_BLOCK),
        Arguments.of("CREATE INDEX CONCURRENTLY i ON t (a)", NOT_IN_BLOCK),
        Arguments.of("create unique index concurrently if not exists i on t (a)", NOT_IN_BLOCK),
        Arguments.of("DROP INDEX CONCURRENTLY i", NOT_IN_BLOCK),
        Arguments.of("REINDEX TABLE CONCURRENTLY t", NOT_IN_BLOCK),
        Arguments.of("REINDEX (CONCURRENTLY) TABLE t", NOT_IN_BLOCK),
        Arguments.of("REINDEX (VERBOSE, CONCURRENTLY true) INDEX i", NOT_IN_BLOCK),
        Arguments.of("REINDEX DATABASE d", NOT_IN_BLOCK),
        Arguments.of("REFRESH MATERIALIZED VIEW CONCURRENTLY mv", NOT_IN_BLOCK),
        Arguments.of("CREATE DATABASE d", NOT_IN_BLOCK),
        Arguments.of("DROP DATABASE IF EXISTS d", NOT_IN_BLOCK),
        Arguments.of("ALTER DATABASE d SET TABLESPACE ts", NOT_IN_BLOCK),
        Arguments.of("ALTER SYSTEM SET work_mem = '8MB'", NOT_IN_BLOCK),
        Arguments.of("CREATE TABLESPACE ts LOCATION '/x'", NOT_IN_BLOCK),
        Arguments.of("DROP TABLESPACE ts", NOT_IN_BLOCK),
        Arguments.of("CREATE SUBSCRIPTION s CONNECTION 'x' PUBLICATION p", NOT_IN_BLOCK),
        Arguments.of("CLUSTER", NOT_IN_BLOCK),
        Arguments.of("CLUSTER VERBOSE", NOT_IN_BLOCK),
        // local only
        Arguments.of("ANALYZE", LOCAL_ONLY),
        Arguments.of("analyse t", LOCAL_ONLY),
        Arguments.of("CLUSTER t USING i", LOCAL_ONLY),
        Arguments.of("CLUSTER (VERBOSE) t", LOCAL_ONLY),
        Arguments.of("REINDEX TABLE t", LOCAL_ONLY),
        Arguments.of("REINDEX (CONCURRENTLY false) TABLE t", LOCAL_ONLY),
        Arguments.of("CHECKPOINT", LOCAL_ONLY),
        Arguments.of("LOAD 'auto_explain'", LOCAL_ONLY),
        Arguments.of("CREATE TEMP TABLE tt (a int)", LOCAL_ONLY),
        Arguments.of("CREATE TEMPORARY TABLE tt AS SELECT 1", LOCAL_ONLY),
        Arguments.of("CREATE LOCAL TEMPORARY TABLE tt (a int)", LOCAL_ONLY),
        Arguments.of("CREATE GLOBAL TEMP TABLE tt (a int)", LOCAL_ONLY),
        Arguments.of("CREATE OR REPLACE TEMP VIEW v AS SELECT 1", LOCAL_ONLY),
        Arguments.of("CREATE TEMP SEQUENCE s", LOCAL_ONLY),
        Arguments.of("CREATE TABLE pg_temp.tt (a int)", LOCAL_ONLY),
        Arguments.of("CREATE FUNCTION pg_temp.f() RETURNS int LANGUAGE sql AS 'SELECT 1'", LOCAL_ONLY),
        Arguments.of("SELECT 1 INTO TEMP tt", LOCAL_ONLY),
        Arguments.of("SELECT 1 INTO TEMPORARY TABLE tt", LOCAL_ONLY),
        Arguments.of("SELECT 1 INTO LOCAL TEMP tt", LOCAL_ONLY),
        Arguments.of("SELECT 1 INTO pg_temp.tt", LOCAL_ONLY),
        // unrecognised
        Arguments.of("FROBNICATE t", OTHER),
        Arguments.of("START", OTHER),
        Arguments.of("'string first'", OTHER),
        Arguments.of("(1)", OTHER));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("kinds")
  void classifiesKind(String sql, StatementKind expected) {
    assertThat(one(sql).kind()).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("kinds")
  void kindDoesNotDependOnCaseWhitespaceOrComments(String sql, StatementKind expected) {
    String shouted = "/* lead */\n -- line\n\t" + swapCaseOutsideQuotes(sql).replace(" ", " \n /* x */ ") + " ; -- tail";
    assertThat(one(shouted).kind()).as(shouted).isEqualTo(expected);
  }

  /** Upper-cases letters outside quotes, so keywords change case and literals do not. */
  private static String swapCaseOutsideQuotes(String sql) {
    StringBuilder out = new StringBuilder();
    char quote = 0;
    for (char c : sql.toCharArray()) {
      if (quote == 0 && (c == '\'' || c == '"' || c == '$')) {
        quote = c;
      } else if (c == quote) {
        quote = 0;
      }
      out.append(quote == 0 ? (Character.isUpperCase(c) ? Character.toLowerCase(c) : Character.toUpperCase(c)) : c);
    }
    return out.toString();
  }

  // -------------------------------------------------------------------------------------- transaction details

  @Test
  void beginReadsModes() {
    Statement s = one("START TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ ONLY");
    assertThat(s.kind()).isEqualTo(BEGIN);
    assertThat(s.readOnly()).isTrue();
    assertThat(s.isolation()).isEqualTo(IsolationLevel.SERIALIZABLE);
    assertThat(s.isolationSerializable()).isTrue();
  }

  @Test
  void beginWithoutModesSpecifiesNothing() {
    Statement s = one("BEGIN");
    assertThat(s.accessMode()).isEqualTo(AccessMode.UNSPECIFIED);
    assertThat(s.isolation()).isEqualTo(IsolationLevel.UNSPECIFIED);
    assertThat(s.readOnly()).isFalse();
    assertThat(s.mayWrite()).isFalse();
  }

  static Stream<Arguments> isolationLevels() {
    return Stream.of(
        Arguments.of("BEGIN ISOLATION LEVEL READ COMMITTED", IsolationLevel.READ_COMMITTED, AccessMode.UNSPECIFIED),
        Arguments.of("begin transaction isolation level repeatable read read write", IsolationLevel.REPEATABLE_READ,
            AccessMode.READ_WRITE),
        Arguments.of("BEGIN WORK READ ONLY ISOLATION LEVEL READ UNCOMMITTED", IsolationLevel.READ_UNCOMMITTED,
            AccessMode.READ_ONLY),
        Arguments.of("BEGIN READ ONLY, NOT DEFERRABLE, ISOLATION LEVEL SERIALIZABLE", IsolationLevel.SERIALIZABLE,
            AccessMode.READ_ONLY),
        Arguments.of("BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY DEFERRABLE", IsolationLevel.SERIALIZABLE,
            AccessMode.READ_ONLY),
        Arguments.of("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", IsolationLevel.REPEATABLE_READ,
            AccessMode.UNSPECIFIED),
        Arguments.of("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY", IsolationLevel.UNSPECIFIED,
            AccessMode.READ_ONLY),
        Arguments.of("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ WRITE",
            IsolationLevel.SERIALIZABLE, AccessMode.READ_WRITE));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource
  void isolationLevels(String sql, IsolationLevel isolation, AccessMode accessMode) {
    Statement s = one(sql);
    assertThat(s.isolation()).isEqualTo(isolation);
    assertThat(s.accessMode()).isEqualTo(accessMode);
  }

  @Test
  void commitAndChain() {
    assertThat(one("COMMIT AND CHAIN").chain()).isTrue();
    assertThat(one("end work and chain").chain()).isTrue();
    assertThat(one("COMMIT AND NO CHAIN").chain()).isFalse();
    assertThat(one("COMMIT").chain()).isFalse();
  }

  @Test
  void rollbackAndChainVersusRollbackToSavepoint() {
    Statement chain = one("ROLLBACK AND CHAIN");
    assertThat(chain.kind()).isEqualTo(ROLLBACK);
    assertThat(chain.chain()).isTrue();
    assertThat(one("ABORT AND CHAIN").chain()).isTrue();
    assertThat(one("ROLLBACK AND NO CHAIN").chain()).isFalse();
    Statement to = one("ROLLBACK TO SAVEPOINT a");
    assertThat(to.kind()).isEqualTo(ROLLBACK_TO_SAVEPOINT);
    assertThat(to.name()).isEqualTo("a");
    assertThat(to.chain()).isFalse();
  }

  @Test
  void prepareTransactionVersusPreparedStatement() {
    Statement tx = one("PREPARE TRANSACTION 'x'");
    assertThat(tx.kind()).isEqualTo(PREPARE_TRANSACTION);
    assertThat(tx.name()).isEqualTo("x");
    assertThat(tx.transactionEnd()).isEqualTo(TransactionEnd.PREPARE_TRANSACTION);
    Statement ps = one("PREPARE p AS SELECT 1");
    assertThat(ps.kind()).isEqualTo(PREPARE_STATEMENT);
    assertThat(ps.name()).isEqualTo("p");
    assertThat(ps.mayWrite()).isFalse();
    assertThat(ps.transactionEnd()).isEqualTo(TransactionEnd.NONE);
  }

  @Test
  void preparedStatementMayBeCalledTransaction() {
    Statement s = one("PREPARE transaction AS SELECT 1");
    assertThat(s.kind()).isEqualTo(PREPARE_STATEMENT);
    assertThat(s.name()).isEqualTo("transaction");
  }

  @Test
  void namesAreUnquotedAndFolded() {
    assertThat(one("SAVEPOINT MyPoint").name()).isEqualTo("mypoint");
    assertThat(one("SAVEPOINT \"My\"\"Point\"").name()).isEqualTo("My\"Point");
    assertThat(one("RELEASE SAVEPOINT b").name()).isEqualTo("b");
    assertThat(one("COMMIT PREPARED 'it''s'").name()).isEqualTo("it's");
    assertThat(one("ROLLBACK PREPARED $$g$$").name()).isEqualTo("g");
    assertThat(one("PREPARE TRANSACTION E'a\\'b'").name()).isEqualTo("a'b");
    assertThat(one("EXECUTE Stmt1 (1, 2)").name()).isEqualTo("stmt1");
    assertThat(one("DEALLOCATE PREPARE s2").name()).isEqualTo("s2");
    assertThat(one("LISTEN \"Chan\"").name()).isEqualTo("Chan");
    assertThat(one("DISCARD ALL").name()).isEqualTo("all");
  }

  static Stream<Arguments> parameterNames() {
    return Stream.of(
        Arguments.of("SET default_transaction_read_only = off", "default_transaction_read_only"),
        Arguments.of("SET SESSION Default_Transaction_Read_Only TO on", "default_transaction_read_only"),
        Arguments.of("SET LOCAL statement_timeout = 0", "statement_timeout"),
        Arguments.of("SET myext.knob = 1", "myext.knob"),
        Arguments.of("SET TIME ZONE 'UTC'", "timezone"),
        Arguments.of("SET NAMES 'UTF8'", "client_encoding"),
        Arguments.of("SET SCHEMA 'app'", "search_path"),
        Arguments.of("SET SESSION AUTHORIZATION bob", "session_authorization"),
        Arguments.of("SET ROLE bob", "role"),
        Arguments.of("SET XML OPTION DOCUMENT", "xmloption"),
        Arguments.of("RESET ALL", "all"),
        Arguments.of("RESET default_transaction_read_only", "default_transaction_read_only"),
        Arguments.of("RESET SESSION AUTHORIZATION", "session_authorization"),
        Arguments.of("SHOW TRANSACTION ISOLATION LEVEL", "transaction_isolation"),
        Arguments.of("SHOW \"search_path\"", "search_path"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource
  void parameterNames(String sql, String name) {
    assertThat(one(sql).name()).isEqualTo(name);
  }

  @Test
  void transactionControlKindsAreMarked() {
    assertThat(BEGIN.isTransactionControl()).isTrue();
    assertThat(SET_SESSION_CHARACTERISTICS.isTransactionControl()).isTrue();
    assertThat(READ.isTransactionControl()).isFalse();
    assertThat(SET.isTransactionControl()).isFalse();
  }

  @Test
  void preparedDecisionsCannotRunInABlock() {
    assertThat(one("COMMIT PREPARED 'x'").cannotRunInBlock()).isTrue();
    assertThat(one("ROLLBACK PREPARED 'x'").cannotRunInBlock()).isTrue();
    assertThat(one("VACUUM t").cannotRunInBlock()).isTrue();
    assertThat(one("COMMIT").cannotRunInBlock()).isFalse();
  }

  // ------------------------------------------------------------------------------------------------ mayWrite

  static Stream<Arguments> mayWrite() {
    return Stream.of(
        Arguments.of("SELECT 1", false),
        Arguments.of("SELECT nextval('s')", true),
        Arguments.of("select NEXTVAL ('s')", true),
        Arguments.of("SELECT pg_catalog.nextval('s')", true),
        Arguments.of("SELECT \"nextval\"('s')", true),
        Arguments.of("SELECT setval('s', 10)", true),
        Arguments.of("VALUES (nextval('s'))", true),
        Arguments.of("WITH x AS (SELECT nextval('s')) SELECT * FROM x", true),
        Arguments.of("SELECT 'nextval(' || 'x'", false),
        Arguments.of("SELECT nextval FROM t", false),
        Arguments.of("SELECT currval('s')", false),
        Arguments.of("EXPLAIN SELECT nextval('s')", false),
        Arguments.of("EXPLAIN ANALYZE SELECT nextval('s')", true),
        Arguments.of("SHOW work_mem", false),
        Arguments.of("SELECT * FROM t FOR UPDATE", false),
        Arguments.of("INSERT INTO t VALUES (1)", true),
        Arguments.of("CREATE TABLE t (a int)", true),
        Arguments.of("SELECT 1 INTO t", true),
        Arguments.of("CALL p()", true),
        Arguments.of("DO 'BEGIN NULL; END'", true),
        Arguments.of("EXECUTE p", true),
        Arguments.of("TRUNCATE t", true),
        Arguments.of("FROBNICATE", true),
        Arguments.of("CREATE TEMP TABLE tt (a int)", true),
        Arguments.of("CREATE DATABASE d", true),
        Arguments.of("DROP INDEX CONCURRENTLY i", true),
        Arguments.of("CREATE INDEX CONCURRENTLY i ON t (a)", true),
        Arguments.of("VACUUM t", false),
        Arguments.of("ALTER SYSTEM SET work_mem = '1MB'", false),
        Arguments.of("ANALYZE t", false),
        Arguments.of("CHECKPOINT", false),
        Arguments.of("LOCK TABLE t", false),
        Arguments.of("SET work_mem = '1MB'", false),
        Arguments.of("BEGIN", false),
        Arguments.of("COMMIT", false),
        Arguments.of("PREPARE p AS INSERT INTO t VALUES (1)", false),
        Arguments.of("LISTEN c", false),
        Arguments.of("COPY t FROM STDIN", true),
        Arguments.of("COPY t TO STDOUT", false),
        Arguments.of("COPY (SELECT nextval('s')) TO STDOUT", true));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource
  void mayWrite(String sql, boolean expected) {
    assertThat(one(sql).mayWrite()).isEqualTo(expected);
  }

  static Stream<Arguments> locksRows() {
    return Stream.of(
        Arguments.of("SELECT * FROM t FOR UPDATE", true),
        Arguments.of("SELECT * FROM t WHERE a = 1 FOR NO KEY UPDATE OF t SKIP LOCKED", true),
        Arguments.of("SELECT * FROM t FOR SHARE", true),
        Arguments.of("SELECT * FROM t FOR KEY SHARE NOWAIT", true),
        Arguments.of("SELECT * FROM (SELECT * FROM t FOR UPDATE) x", true),
        Arguments.of("DECLARE c CURSOR FOR SELECT * FROM t FOR UPDATE", true),
        Arguments.of("DECLARE c CURSOR FOR SELECT * FROM t", false),
        Arguments.of("SELECT substring('abc' FROM 1 FOR 2)", false),
        Arguments.of("SELECT 'FOR UPDATE'", false),
        Arguments.of("EXPLAIN SELECT * FROM t FOR UPDATE", false));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource
  void locksRows(String sql, boolean expected) {
    Statement s = one(sql);
    assertThat(s.locksRows()).isEqualTo(expected);
    assertThat(s.kind()).isEqualTo(READ);
    assertThat(s.needsReadWrite()).isEqualTo(expected);
  }

  @Test
  void forUpdateInsideWithDoesNotMakeItAWrite() {
    Statement s = one("WITH x AS (SELECT * FROM t FOR UPDATE) SELECT * FROM x");
    assertThat(s.kind()).isEqualTo(READ);
    assertThat(s.locksRows()).isTrue();
    assertThat(one("WITH x AS (SELECT * FROM t) SELECT * FROM x FOR NO KEY UPDATE").kind()).isEqualTo(READ);
  }

  @Test
  void cteNamedLikeADmlKeywordIsStillARead() {
    assertThat(one("WITH update AS (SELECT 1) SELECT * FROM update").kind()).isEqualTo(READ);
    assertThat(one("WITH a AS (SELECT 1), delete(x) AS (SELECT 2) SELECT 1").kind()).isEqualTo(READ);
  }

  @Test
  void writeInWithAfterSearchClause() {
    assertThat(one("WITH RECURSIVE r(n) AS (SELECT 1) SEARCH DEPTH FIRST BY n SET o DELETE FROM t").kind())
        .isEqualTo(WRITE);
  }

  // ----------------------------------------------------------------------------------------- replicated

  static Stream<Arguments> replicated() {
    return Stream.of(
        Arguments.of("CREATE TABLE t (a int)", true),
        Arguments.of("CREATE TABLE t AS SELECT 1", true),
        Arguments.of("GRANT SELECT ON t TO bob", true),
        Arguments.of("CREATE DATABASE d", false),
        Arguments.of("DROP INDEX CONCURRENTLY i", true),
        Arguments.of("CREATE INDEX CONCURRENTLY i ON t (a)", true),
        Arguments.of("REFRESH MATERIALIZED VIEW CONCURRENTLY mv", true),
        Arguments.of("CREATE TABLESPACE ts LOCATION '/x'", false),
        Arguments.of("VACUUM", false),
        Arguments.of("ALTER SYSTEM SET a = 1", false),
        Arguments.of("REINDEX TABLE CONCURRENTLY t", false),
        Arguments.of("CREATE SUBSCRIPTION s CONNECTION 'x' PUBLICATION p", false),
        Arguments.of("CREATE TEMP TABLE tt (a int)", false),
        Arguments.of("ANALYZE", false),
        Arguments.of("TRUNCATE t", false),
        Arguments.of("INSERT INTO t VALUES (1)", false),
        Arguments.of("SELECT 1", false));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource
  void replicated(String sql, boolean expected) {
    assertThat(one(sql).replicated()).isEqualTo(expected);
  }

  @Test
  void replicatedDdlKinds() {
    assertThat(DDL.isReplicatedDdl()).isTrue();
    assertThat(DDL_CREATE_TABLE_AS.isReplicatedDdl()).isTrue();
    assertThat(NOT_IN_BLOCK.isReplicatedDdl()).isFalse();
    assertThat(LOCAL_ONLY.isReplicatedDdl()).isFalse();
    assertThat(TRUNCATE.isReplicatedDdl()).isFalse();
  }

  // ---------------------------------------------------------------------------------------- volatileRewrite

  static Stream<Arguments> volatileRewrite() {
    return Stream.of(
        Arguments.of("ALTER TABLE t ADD COLUMN c float8 DEFAULT random()", true),
        Arguments.of("ALTER TABLE t ADD COLUMN id serial", true),
        Arguments.of("alter table t add id BIGSERIAL primary key", true),
        Arguments.of("ALTER TABLE t ADD COLUMN IF NOT EXISTS id smallserial", true),
        Arguments.of("ALTER TABLE t ADD COLUMN c timestamptz DEFAULT clock_timestamp()", true),
        Arguments.of("ALTER TABLE t ADD COLUMN c uuid NOT NULL DEFAULT gen_random_uuid()", true),
        Arguments.of("ALTER TABLE t ADD COLUMN c int DEFAULT (random() * 10)::int", true),
        Arguments.of("ALTER TABLE t ADD COLUMN c bigint DEFAULT nextval('s')", true),
        Arguments.of("ALTER TABLE t ADD COLUMN c int GENERATED ALWAYS AS IDENTITY", true),
        Arguments.of("ALTER TABLE IF EXISTS ONLY t ADD COLUMN a int, ADD COLUMN b float8 DEFAULT random()", true),
        Arguments.of("ALTER TABLE t ALTER COLUMN c TYPE float8 USING random()", true),
        Arguments.of("ALTER TABLE t ALTER c SET DATA TYPE text USING gen_random_uuid()::text", true),
        Arguments.of("ALTER TABLE t ADD COLUMN c int DEFAULT 0", false),
        Arguments.of("ALTER TABLE t ADD COLUMN c timestamptz DEFAULT now()", false),
        Arguments.of("ALTER TABLE t ADD COLUMN c text DEFAULT 'random()'", false),
        Arguments.of("ALTER TABLE t ADD COLUMN serial int", false),
        Arguments.of("ALTER TABLE t ADD COLUMN random int DEFAULT 1", false),
        Arguments.of("ALTER TABLE t ALTER COLUMN c SET DEFAULT random()", false),
        Arguments.of("ALTER TABLE t ALTER COLUMN c ADD GENERATED ALWAYS AS IDENTITY", false),
        Arguments.of("ALTER TABLE t ALTER COLUMN c TYPE bigint", false),
        Arguments.of("ALTER TABLE t ADD CONSTRAINT c CHECK (random() < 2)", false),
        Arguments.of("ALTER TABLE t ALTER COLUMN c SET DEFAULT random(), ADD COLUMN d int DEFAULT 1", false),
        Arguments.of("CREATE TABLE t (id serial, c float8 DEFAULT random())", false));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource
  void volatileRewrite(String sql, boolean expected) {
    Statement s = one(sql);
    assertThat(s.volatileRewrite()).isEqualTo(expected);
    assertThat(s.kind()).isEqualTo(DDL);
  }

  // ------------------------------------------------------------------------------------------------- misc

  @Test
  void createFunctionWithCommitInItsBodyIsOneDdlStatement() {
    List<Statement> statements = StatementClassifier.classify(
        "CREATE PROCEDURE p() LANGUAGE plpgsql AS $$ BEGIN INSERT INTO t VALUES (1); COMMIT; END; $$; CALL p()");
    assertThat(statements).extracting(Statement::kind).containsExactly(DDL, CALL);
  }

  @Test
  void textOfEachStatementIsItsOwn() {
    List<Statement> statements = StatementClassifier.classify("BEGIN; INSERT INTO t VALUES (';'); COMMIT;");
    assertThat(statements).extracting(Statement::text)
        .containsExactly("BEGIN", "INSERT INTO t VALUES (';')", "COMMIT");
    assertThat(statements).extracting(Statement::kind).containsExactly(BEGIN, WRITE, COMMIT);
  }

  @Test
  void classifyOneTakesTheOnlyStatement() {
    assertThat(StatementClassifier.classifyOne("COMMIT;").kind()).isEqualTo(COMMIT);
    Statement empty = StatementClassifier.classifyOne("  ");
    assertThat(empty.kind()).isEqualTo(READ);
    assertThat(empty.mayWrite()).isFalse();
  }

  @Test
  void statementRejectsNulls() {
    org.assertj.core.api.Assertions.assertThatNullPointerException().isThrownBy(() -> new Statement(
        "x", null, false, AccessMode.UNSPECIFIED, IsolationLevel.UNSPECIFIED, false, false, false, false, ""));
  }
}
