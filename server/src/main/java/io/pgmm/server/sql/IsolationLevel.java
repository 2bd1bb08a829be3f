package io.pgmm.server.sql;

/** The isolation level a BEGIN, SET TRANSACTION or SET SESSION CHARACTERISTICS names, if any. */
public enum IsolationLevel {
  UNSPECIFIED,
  READ_UNCOMMITTED,
  READ_COMMITTED,
  REPEATABLE_READ,
  SERIALIZABLE
}
