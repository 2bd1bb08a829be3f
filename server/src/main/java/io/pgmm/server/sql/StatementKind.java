package io.pgmm.server.sql;

/**
 * What one SQL statement does, as far as the session must know: where a transaction begins and ends, whether
 * the statement reads or writes, whether peers must run it too, and whether it may run in a transaction block.
 * See the package documentation for why each statement lands where it does.
 */
public enum StatementKind {

  // Transaction control.
  /** {@code BEGIN}, {@code BEGIN WORK|TRANSACTION}, {@code START TRANSACTION}, with their modes. */
  BEGIN(false),
  /** {@code COMMIT}, {@code END}, with WORK/TRANSACTION and AND [NO] CHAIN. */
  COMMIT(false),
  /** {@code ROLLBACK}, {@code ABORT}, with WORK/TRANSACTION and AND [NO] CHAIN. */
  ROLLBACK(false),
  SAVEPOINT(false),
  RELEASE_SAVEPOINT(false),
  ROLLBACK_TO_SAVEPOINT(false),
  /** {@code PREPARE TRANSACTION 'gid'}. */
  PREPARE_TRANSACTION(false),
  /** {@code COMMIT PREPARED 'gid'}: cannot run in a transaction block. */
  COMMIT_PREPARED(false),
  /** {@code ROLLBACK PREPARED 'gid'}: cannot run in a transaction block. */
  ROLLBACK_PREPARED(false),
  /** {@code SET [LOCAL|SESSION] TRANSACTION …}: the current transaction's modes or snapshot. */
  SET_TRANSACTION(false),
  /** {@code SET SESSION CHARACTERISTICS AS TRANSACTION …}: the default modes of later transactions. */
  SET_SESSION_CHARACTERISTICS(false),

  // Reads and session commands.
  /**
   * Reads data and changes nothing replicated: SELECT (without INTO), VALUES, TABLE, WITH without a
   * data-modifying clause, SHOW, EXPLAIN without ANALYZE, DECLARE/FETCH/MOVE/CLOSE, DISCARD, DEALLOCATE,
   * COPY … TO.
   */
  READ(false),
  /** {@code SET} and {@code RESET} of a run-time parameter; {@link Statement#name()} is the parameter. */
  SET(false),
  /** {@code PREPARE name AS …}, a prepared statement (not a prepared transaction). */
  PREPARE_STATEMENT(false),
  /** {@code EXECUTE name}: whatever the prepared statement does, so it may write. */
  EXECUTE(true),
  /** {@code LISTEN} and {@code UNLISTEN}. */
  LISTEN(false),
  NOTIFY(false),
  /** {@code LOCK TABLE}: a lock on this node only. */
  LOCK(false),

  // Writes.
  /** INSERT, UPDATE, DELETE, MERGE, COPY … FROM, a WITH holding one of them, and their EXPLAIN ANALYZE. */
  WRITE(true),
  /** {@code CALL}: may write and may commit inside, out of the session's sight. */
  CALL(true),
  /** {@code DO}: may write and may commit inside, out of the session's sight. */
  DO(true),
  /** {@code TRUNCATE}: decoded by logical replication, but the session must count it as a replicated change. */
  TRUNCATE(true),

  // Schema changes that peers replay inside the same transaction.
  DDL(true),
  /**
   * {@code CREATE TABLE … AS}, {@code SELECT … INTO}, {@code CREATE MATERIALIZED VIEW … AS}: their rows are
   * decoded as well, so peers replay them {@code WITH NO DATA}.
   */
  DDL_CREATE_TABLE_AS(true),

  /**
   * Cannot run inside a transaction block (VACUUM, CREATE/DROP INDEX CONCURRENTLY, CREATE/DROP DATABASE,
   * ALTER SYSTEM, …); {@link Statement#replicated()} says whether every node must run it.
   */
  NOT_IN_BLOCK(true),
  /** Runs on this node only and is never replicated: ANALYZE, CLUSTER, REINDEX, CHECKPOINT, LOAD, temporary objects. */
  LOCAL_ONLY(false),
  /** Not recognised; treated as a possible write (see the package documentation). */
  OTHER(true);

  private final boolean mayWrite;

  StatementKind(boolean mayWrite) {
    this.mayWrite = mayWrite;
  }

  /** Whether statements of this kind may write unless the classifier knows better for one statement. */
  boolean mayWriteByDefault() {
    return mayWrite;
  }

  /**
   * Whether the session captures statements of this kind for peers inside the transaction (a {@code pgmm.ddl}
   * message before the statement runs): DDL and DDL_CREATE_TABLE_AS. NOT_IN_BLOCK statements that every node
   * must run are not captured this way; see {@link Statement#replicated()}.
   */
  public boolean isReplicatedDdl() {
    return this == DDL || this == DDL_CREATE_TABLE_AS;
  }

  public boolean isTransactionControl() {
    return ordinal() <= SET_SESSION_CHARACTERISTICS.ordinal();
  }
}
