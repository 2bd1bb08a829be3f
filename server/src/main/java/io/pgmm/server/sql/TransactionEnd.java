package io.pgmm.server.sql;

/** How a statement text ends the client's transaction; see {@link StatementClassifier#endOf(String)}. */
public enum TransactionEnd {
  /** Does not end the transaction (COMMIT PREPARED, ROLLBACK TO SAVEPOINT and PREPARE name AS … included). */
  NONE,
  /** {@code COMMIT}, {@code END}, {@code COMMIT AND NO CHAIN}, … */
  COMMIT,
  /** {@code COMMIT AND CHAIN}: commits, then opens a transaction with the same modes. */
  COMMIT_AND_CHAIN,
  /** {@code ROLLBACK}, {@code ABORT}, … */
  ROLLBACK,
  /** {@code ROLLBACK AND CHAIN}. */
  ROLLBACK_AND_CHAIN,
  /** {@code PREPARE TRANSACTION 'gid'} sent by the client itself. */
  PREPARE_TRANSACTION,
  /**
   * The text holds several statements and at least one of them ends a transaction: run it through {@link
   * StatementClassifier#classify(String)} and handle the statements one by one.
   */
  MULTI_STATEMENT
}
