package io.pgmm.server.sql;

/**
 * What peers run for a {@link StatementKind#DDL_CREATE_TABLE_AS} statement. A table created from a query is
 * published like any other, so its rows reach the peers through the change stream: peers must create it empty
 * ({@code WITH NO DATA}), or they hold every row twice. A materialized view is not published (verified on 15:
 * {@code FOR ALL TABLES} leaves it out), so peers compute its rows themselves from the same data.
 */
public final class CreateTableAs {

  private CreateTableAs() {}

  /**
   * The statement text for peers: {@code CREATE TABLE … AS …} with its {@code WITH [NO] DATA} clause made
   * {@code WITH NO DATA}; a materialized view unchanged; null for {@code SELECT … INTO}, which this class
   * does not rewrite (the session refuses it and points to CREATE TABLE AS).
   */
  public static String forPeers(String sql) {
    SqlLexer lx = new SqlLexer(sql, 0, sql.length());
    if (lx.next() == SqlLexer.EOF || !lx.is("create")) {
      return null;
    }
    if (lx.next() != SqlLexer.EOF && lx.is("materialized")) {
      return sql;
    }
    int[] starts = new int[3]; // the last three tokens: where they start, and their words at top level
    String[] words = new String[3];
    int end = lx.end;
    for (; lx.type != SqlLexer.EOF; lx.next()) {
      if (lx.isSymbol(';')) {
        continue;
      }
      end = lx.end;
      starts[0] = starts[1];
      starts[1] = starts[2];
      starts[2] = lx.start;
      words[0] = words[1];
      words[1] = words[2];
      words[2] = lx.depth <= 0 && lx.type == SqlLexer.WORD
          ? sql.substring(lx.start, lx.end).toLowerCase(java.util.Locale.ROOT) : "";
    }
    if ("with".equals(words[0]) && "no".equals(words[1]) && "data".equals(words[2])) {
      return sql.substring(0, end);
    }
    if ("with".equals(words[1]) && "data".equals(words[2])) {
      return sql.substring(0, starts[1]) + "WITH NO DATA";
    }
    // on a line of its own: the statement may end in a -- comment
    return sql.substring(0, end) + "\nWITH NO DATA";
  }
}
