package io.pgmm.server.session;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.StringJoiner;

/**
 * Tells the node's DDL guard (the {@code pgmm_guard_ddl} event triggers, see the replication
 * module's {@code DdlGuard}) which client statements the session has seen and captured: the guard
 * lets DDL pass only while {@code md5(current_query())} is among the marks, so DDL that runs inside
 * a function, procedure or DO block (which the session cannot see, and so would not replicate) is
 * refused instead of leaving the nodes' schemas apart. The marks are the md5 of the exact texts
 * the backend gets as its query: a simple Query's string, each Execute's statement, a script's
 * statement. They are set session-wide, since CREATE INDEX CONCURRENTLY runs outside a block; an
 * old mark only lets the very same text through again, which the session captures again anyway.
 */
final class DdlMarks {

  static final String SETTING = "pgmm.ddl_marks";
  /** Set to {@code on} for the transaction by the guard when DDL touched a permanent object. */
  static final String PERMANENT_DDL_SETTING = "pgmm.ddl_permanent";

  private DdlMarks() {
  }

  /** An SQL expression (for a select list) that marks {@code queries} as seen. */
  static String setExpression(List<String> queries) {
    StringJoiner marks = new StringJoiner(" ");
    for (String q : queries) {
      marks.add(md5(q));
    }
    return "pg_catalog.set_config('" + SETTING + "', '" + marks + "', false)";
  }

  /**
   * The md5 of {@code text}'s ASCII characters (1 to 127), as the guard computes it: the sidecar
   * decodes every client's bytes as UTF-8, PostgreSQL converts them from {@code client_encoding},
   * and only ASCII reads the same both ways.
   */
  static String md5(String text) {
    StringBuilder ascii = new StringBuilder(text.length());
    text.chars().filter(c -> c >= 1 && c <= 127).forEach(c -> ascii.append((char) c));
    try {
      MessageDigest md = MessageDigest.getInstance("MD5");
      return HexFormat.of().formatHex(md.digest(ascii.toString().getBytes(StandardCharsets.US_ASCII)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has MD5", e);
    }
  }
}
