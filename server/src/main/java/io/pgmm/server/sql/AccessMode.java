package io.pgmm.server.sql;

/** The access mode a BEGIN, SET TRANSACTION or SET SESSION CHARACTERISTICS names, if any. */
public enum AccessMode {
  UNSPECIFIED,
  READ_ONLY,
  READ_WRITE
}
