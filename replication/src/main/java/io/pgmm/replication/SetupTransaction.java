package io.pgmm.replication;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/** Runs a node setup step in one transaction of its own, whatever the connection's autocommit. */
final class SetupTransaction {

  interface Work {
    void run(Statement s) throws SQLException;
  }

  private SetupTransaction() {}

  static void run(Connection c, Work work) throws SQLException {
    boolean autoCommit = c.getAutoCommit();
    c.setAutoCommit(false);
    try (Statement s = c.createStatement()) {
      work.run(s);
      c.commit();
    } catch (SQLException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(autoCommit);
    }
  }
}
