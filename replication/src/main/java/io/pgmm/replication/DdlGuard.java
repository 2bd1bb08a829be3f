package io.pgmm.replication;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Refuses DDL that the session cannot see and so would not replicate: DDL run inside a function,
 * procedure, DO block or dynamic EXECUTE (DESIGN, "DDL traps"). Two plain plpgsql event triggers
 * (no extension): {@code pgmm_guard_ddl} on ddl_command_end and {@code pgmm_guard_drop} on
 * sql_drop raise 0A000 unless the statement the client sent is one the sidecar marked as seen
 * ({@code md5(current_query())} among the session's {@value #MARKS_SETTING}, set by the sidecar
 * just before the statement runs; over the text's ASCII characters only, since the sidecar reads
 * the client's bytes as UTF-8 whatever {@code client_encoding} says). Sessions connected to PostgreSQL directly are refused the same
 * way. Objects in the session's temporary schema are local and pass. DDL on a permanent object sets
 * {@value #PERMANENT_DDL_SETTING} for the transaction, so that the session can tell a transaction
 * whose captured DDL touched only temporary objects (it cannot be prepared and commits locally).
 * The triggers are ENABLE ORIGIN (the default), so they keep quiet under
 * {@code session_replication_role = replica}: peers' replays and the sidecar's own sessions.
 *
 * <p>An error in an event trigger's function would fail every DDL statement of the database, so
 * {@link #install} replaces the functions under {@code replica} too, where the triggers do not run.
 */
final class DdlGuard {

  static final String MARKS_SETTING = "pgmm.ddl_marks";
  /** {@code on} for the rest of the transaction once DDL touched a permanent object (the session asks at commit). */
  static final String PERMANENT_DDL_SETTING = "pgmm.ddl_permanent";
  private static final String HINT = "pgmm replicates the DDL it sees in the statements clients send through it; run"
      + " the DDL as a statement of its own. To change this node alone on purpose, a superuser may SET"
      + " session_replication_role = replica first.";

  private DdlGuard() {}

  /**
   * Creates or replaces the guard's functions and, with {@code triggers}, its triggers (a node
   * without peers has nothing to guard: its triggers are dropped), in one transaction; the session
   * must be {@code replica} (see above).
   */
  static void install(Connection c, boolean triggers) throws SQLException {
    SetupTransaction.run(c, s -> {
      create(s);
      s.execute("DROP EVENT TRIGGER IF EXISTS pgmm_guard_ddl");
      s.execute("DROP EVENT TRIGGER IF EXISTS pgmm_guard_drop");
      if (triggers) {
        s.execute("CREATE EVENT TRIGGER pgmm_guard_ddl ON ddl_command_end EXECUTE FUNCTION pgmm.guard_ddl()");
        s.execute("CREATE EVENT TRIGGER pgmm_guard_drop ON sql_drop EXECUTE FUNCTION pgmm.guard_drop()");
      }
    });
  }

  private static void create(Statement s) throws SQLException {
    // The session reads clients' bytes as UTF-8 and writes the pgmm.ddl message so: under another
    // client_encoding a DDL's non-ASCII text would reach the peers garbled. The session puts it
    // (an empty text) into the message of such a statement. (It returned void in a first version.)
    s.execute("DROP FUNCTION IF EXISTS pgmm.require_utf8_for_ddl()");
    s.execute("CREATE FUNCTION pgmm.require_utf8_for_ddl() RETURNS text LANGUAGE plpgsql AS $f$"
        + " BEGIN"
        + "  IF pg_catalog.pg_client_encoding() <> 'UTF8' THEN"
        + "   RAISE EXCEPTION USING ERRCODE = '0A000', MESSAGE = 'pgmm cannot replicate DDL with non-ASCII text from a"
        + " session whose client_encoding is ' || pg_catalog.pg_client_encoding(), HINT = 'SET client_encoding = UTF8"
        + " for this statement, or write its text in ASCII.';"
        + "  END IF;"
        + "  RETURN '';"
        + " END $f$");
    s.execute("CREATE OR REPLACE FUNCTION pgmm.ddl_seen() RETURNS boolean LANGUAGE sql STABLE AS $f$"
        + " SELECT pg_catalog.strpos(COALESCE(pg_catalog.current_setting('" + MARKS_SETTING + "', true), ''),"
        + " pg_catalog.md5(pg_catalog.regexp_replace(pg_catalog.current_query(), '[^\\x01-\\x7F]', '', 'g'))) > 0 $f$");
    s.execute("CREATE OR REPLACE FUNCTION pgmm.refuse_ddl(what text) RETURNS void LANGUAGE plpgsql AS $f$"
        + " BEGIN"
        + "  RAISE EXCEPTION USING ERRCODE = '0A000', MESSAGE = 'pgmm cannot replicate ' || what || ': it ran inside"
        + " a function, procedure or DO block, or in a session connected to PostgreSQL directly', HINT = "
        + quote(HINT) + ";"
        + " END $f$");
    s.execute("CREATE OR REPLACE FUNCTION pgmm.guard_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $f$"
        + " DECLARE c record;"
        + " BEGIN"
        + "  SELECT command_tag, object_identity INTO c FROM pg_catalog.pg_event_trigger_ddl_commands()"
        + "   WHERE schema_name IS DISTINCT FROM 'pg_temp' LIMIT 1;"
        + "  IF FOUND THEN"
        + "   PERFORM pg_catalog.set_config('" + PERMANENT_DDL_SETTING + "', 'on', true);"
        + "   IF NOT pgmm.ddl_seen() THEN"
        + "    PERFORM pgmm.refuse_ddl(c.command_tag || COALESCE(' of ' || c.object_identity, ''));"
        + "   END IF;"
        + "  END IF;"
        + " END $f$");
    s.execute("CREATE OR REPLACE FUNCTION pgmm.guard_drop() RETURNS event_trigger LANGUAGE plpgsql AS $f$"
        + " DECLARE c record;"
        + " BEGIN"
        + "  SELECT object_identity INTO c FROM pg_catalog.pg_event_trigger_dropped_objects()"
        + "   WHERE original AND NOT is_temporary LIMIT 1;"
        + "  IF FOUND THEN"
        + "   PERFORM pg_catalog.set_config('" + PERMANENT_DDL_SETTING + "', 'on', true);"
        + "   IF NOT pgmm.ddl_seen() THEN"
        + "    PERFORM pgmm.refuse_ddl(tg_tag || ' of ' || c.object_identity);"
        + "   END IF;"
        + "  END IF;"
        + " END $f$");
  }

  private static String quote(String text) {
    return "'" + text.replace("'", "''") + "'";
  }
}
