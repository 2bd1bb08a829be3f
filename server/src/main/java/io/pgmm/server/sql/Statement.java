package io.pgmm.server.sql;

import java.util.Objects;

/**
 * One statement of a query string, as {@link StatementClassifier} recognised it.
 *
 * @param text the statement from its first token to its last, without the terminating semicolon and without
 *     leading or trailing comments
 * @param kind what the statement does
 * @param mayWrite whether PostgreSQL's read-only mode may refuse it, that is whether it may change data or
 *     schema: true for WRITE, DDL, DDL_CREATE_TABLE_AS, CALL, DO, EXECUTE, TRUNCATE, OTHER, most NOT_IN_BLOCK
 *     statements, temporary objects, a read that calls {@code nextval}/{@code setval}, and an EXPLAIN ANALYZE
 *     of any of these
 * @param accessMode READ ONLY / READ WRITE named by BEGIN, SET TRANSACTION or SET SESSION CHARACTERISTICS
 * @param isolation the isolation level those statements name
 * @param chain {@code AND CHAIN} on COMMIT or ROLLBACK
 * @param volatileRewrite an ALTER TABLE that fills a new column (or retypes one) with values computed per node:
 *     a volatile default, a serial or identity column; the session refuses it with 0A000
 * @param locksRows a read with {@code FOR UPDATE/NO KEY UPDATE/SHARE/KEY SHARE}: the locks stay on this node,
 *     but PostgreSQL refuses it in a read-only transaction (verified on 15.18)
 * @param replicated peers must run this statement's text too: DDL and DDL_CREATE_TABLE_AS inside the
 *     transaction, NOT_IN_BLOCK statements such as CREATE INDEX CONCURRENTLY outside 2PC
 * @param name what the statement names, where the session may need it: the savepoint, the gid of PREPARE
 *     TRANSACTION / COMMIT PREPARED / ROLLBACK PREPARED, the prepared statement of PREPARE / EXECUTE /
 *     DEALLOCATE, the parameter of SET / RESET / SHOW ({@code "all"} for RESET ALL), the channel of LISTEN /
 *     UNLISTEN / NOTIFY; unquoted names folded to lower case; empty when there is none
 */
public record Statement(
    String text,
    StatementKind kind,
    boolean mayWrite,
    AccessMode accessMode,
    IsolationLevel isolation,
    boolean chain,
    boolean volatileRewrite,
    boolean locksRows,
    boolean replicated,
    String name) {

  public Statement {
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(accessMode, "accessMode");
    Objects.requireNonNull(isolation, "isolation");
    Objects.requireNonNull(name, "name");
  }

  /** {@code READ ONLY} was named. */
  public boolean readOnly() {
    return accessMode == AccessMode.READ_ONLY;
  }

  /** {@code ISOLATION LEVEL SERIALIZABLE} was named (BEGIN, SET TRANSACTION, SET SESSION CHARACTERISTICS). */
  public boolean isolationSerializable() {
    return isolation == IsolationLevel.SERIALIZABLE;
  }

  /** Whether an autocommit run of this statement needs a read-write transaction. */
  public boolean needsReadWrite() {
    return mayWrite || locksRows;
  }

  /** Whether PostgreSQL refuses this statement inside a transaction block. */
  public boolean cannotRunInBlock() {
    return kind == StatementKind.NOT_IN_BLOCK
        || kind == StatementKind.COMMIT_PREPARED
        || kind == StatementKind.ROLLBACK_PREPARED;
  }

  /** How this statement ends the client's transaction. */
  public TransactionEnd transactionEnd() {
    return switch (kind) {
      case COMMIT -> chain ? TransactionEnd.COMMIT_AND_CHAIN : TransactionEnd.COMMIT;
      case ROLLBACK -> chain ? TransactionEnd.ROLLBACK_AND_CHAIN : TransactionEnd.ROLLBACK;
      case PREPARE_TRANSACTION -> TransactionEnd.PREPARE_TRANSACTION;
      default -> TransactionEnd.NONE;
    };
  }
}
