package io.pgmm.replication;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * Makes every sequence of this node hand out only the numbers {@code nodeId + k * maxNodes}, so
 * keys from {@code serial} and identity columns never collide across nodes. Sequences are not
 * decoded: each node strides its own, when they are created by a client here or by the replay
 * of a peer's DDL (the event trigger is ENABLE ALWAYS, so it fires under
 * session_replication_role = replica too), and once at setup for those that already exist.
 */
final class SequenceStride {

  private SequenceStride() {}

  static void install(Connection c, int nodeId, int maxNodes) throws SQLException {
    SetupTransaction.run(c, s -> {
      s.execute("CREATE SCHEMA IF NOT EXISTS pgmm");
      s.execute("CREATE OR REPLACE FUNCTION pgmm.stride(seq regclass) RETURNS void LANGUAGE plpgsql AS $f$"
          + " DECLARE last bigint; next bigint;"
          + " BEGIN"
          + "  EXECUTE format('SELECT last_value FROM %s', seq) INTO last;"
          + "  next := last + 1;"
          + "  next := next + ((" + nodeId + " - next) % " + maxNodes + " + " + maxNodes + ") % " + maxNodes + ";"
          + "  EXECUTE format('ALTER SEQUENCE %s INCREMENT BY " + maxNodes + " RESTART WITH %s', seq, next);"
          + " END $f$");
      s.execute("CREATE OR REPLACE FUNCTION pgmm.stride_new_sequences() RETURNS event_trigger LANGUAGE plpgsql AS $f$"
          + " DECLARE r record;"
          + " BEGIN"
          + "  FOR r IN SELECT objid FROM pg_event_trigger_ddl_commands() WHERE object_type = 'sequence'"
          + "   AND command_tag <> 'ALTER SEQUENCE' LOOP"
          + "   PERFORM pgmm.stride(r.objid::regclass);"
          + "  END LOOP;"
          + " END $f$");
      s.execute("DROP EVENT TRIGGER IF EXISTS pgmm_stride_sequences");
      s.execute("CREATE EVENT TRIGGER pgmm_stride_sequences ON ddl_command_end"
          + " EXECUTE FUNCTION pgmm.stride_new_sequences()");
      s.execute("ALTER EVENT TRIGGER pgmm_stride_sequences ENABLE ALWAYS");
      s.execute("SELECT pgmm.stride(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
          + " WHERE c.relkind = 'S' AND n.nspname NOT IN ('pg_catalog', 'information_schema')");
    });
  }
}
