package io.pgmm.it.session;

import io.pgmm.it.support.PgmmTestNode;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** One-shot queries on the node's PostgreSQL itself, bypassing the sidecar: the tests' ground truth. */
final class Direct {
  private Direct() {}

  static long count(PgmmTestNode node, String sql) {
    try (Connection c = node.connectDirect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new IllegalStateException(sql, e);
    }
  }

  static void execute(PgmmTestNode node, String sql) {
    try (Connection c = node.connectDirect(); Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(sql, e);
    }
  }

  /** Backends of PostgreSQL serving {@code applicationName}. */
  static long backends(PgmmTestNode node, String applicationName) {
    return count(node, "select count(*) from pg_stat_activity where application_name = '" + applicationName + "'");
  }
}
