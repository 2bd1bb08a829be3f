package io.pgmm.server.sql;

import static io.pgmm.server.sql.SqlLexer.EOF;
import static io.pgmm.server.sql.SqlLexer.NUMBER;
import static io.pgmm.server.sql.SqlLexer.QUOTED_IDENTIFIER;
import static io.pgmm.server.sql.SqlLexer.STRING;
import static io.pgmm.server.sql.SqlLexer.WORD;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a query string into statements and classifies each from its tokens, without a parser: the first
 * keywords decide the kind, and one further pass over the tokens finds what the first keywords cannot show
 * (a data-modifying WITH, SELECT … INTO, FOR UPDATE, nextval, a volatile column default). Every call is
 * O(length of the text), one pass to split and at most two per statement to classify; no regular expression,
 * no backtracking, and no allocation beyond the statements returned.
 *
 * <pre>{@code
 * List<Statement> statements = StatementClassifier.classify("COMMIT; BEGIN READ ONLY");
 * // [COMMIT, BEGIN(readOnly)]; an empty list means PostgreSQL answers EmptyQueryResponse
 *
 * TransactionEnd end = StatementClassifier.endOf(parseText);   // per Parse/Query, cheap for non-COMMIT text
 * }</pre>
 */
public final class StatementClassifier {

  private static final int DATA_MODIFYING = 1;
  private static final int SELECT_INTO = 2;
  private static final int INTO_TEMPORARY = 4;
  private static final int LOCKS_ROWS = 8;
  private static final int SEQUENCE_CALL = 16;

  /**
   * Functions whose result differs from node to node, so a column they fill during a table rewrite diverges.
   * {@code now()} and the other stable time functions are left out, as the design asks (see package docs).
   */
  private static final String[] VOLATILE_FUNCTIONS = {
    "random", "random_normal", "clock_timestamp", "timeofday", "gen_random_uuid", "uuid_generate_v1",
    "uuid_generate_v1mc", "uuid_generate_v4", "nextval", "txid_current", "pg_current_xact_id"
  };

  private static final String[] SERIAL_TYPES = {
    "serial", "serial2", "serial4", "serial8", "smallserial", "bigserial"
  };

  private StatementClassifier() {}

  /**
   * The statements of a simple-Query string, in order. Empty statements ({@code ;;}, only whitespace or
   * comments) are dropped, so an empty list means the whole string was empty and PostgreSQL answers it with
   * EmptyQueryResponse.
   */
  public static List<Statement> classify(String sql) {
    SqlLexer lx = new SqlLexer(sql, 0, sql.length());
    List<Statement> statements = new ArrayList<>(2);
    lx.next();
    while (lx.type != EOF) {
      if (lx.isSymbol(';')) {
        lx.next();
        continue;
      }
      lx.depth = 0;
      int start = lx.start;
      int end = skipStatement(lx);
      statements.add(classifyRange(sql, start, end));
      if (lx.type != EOF) {
        lx.next();
      }
    }
    return statements;
  }

  /** Classifies text known to hold one statement (a Parse's); the first statement if it holds more. */
  public static Statement classifyOne(String sql) {
    List<Statement> statements = classify(sql);
    return statements.isEmpty()
        ? new Statement("", StatementKind.READ, false, AccessMode.UNSPECIFIED, IsolationLevel.UNSPECIFIED,
            false, false, false, false, "")
        : statements.get(0);
  }

  /**
   * How the text ends the client's transaction. Meant for every Parse and Query: text whose first keyword is
   * not COMMIT, END, ROLLBACK, ABORT or PREPARE and that holds no semicolon is answered {@link
   * TransactionEnd#NONE} after one token, and no path allocates more than a small lexer unless a statement is
   * a candidate. Text with several statements of which any ends a transaction is {@link
   * TransactionEnd#MULTI_STATEMENT}.
   */
  public static TransactionEnd endOf(String sql) {
    SqlLexer lx = new SqlLexer(sql, 0, sql.length());
    lx.next();
    if (!mayEndTransaction(lx) && sql.indexOf(';') < 0) {
      return TransactionEnd.NONE;
    }
    TransactionEnd found = TransactionEnd.NONE;
    int statements = 0;
    while (lx.type != EOF) {
      if (lx.isSymbol(';')) {
        lx.next();
        continue;
      }
      lx.depth = 0;
      int start = lx.start;
      boolean candidate = mayEndTransaction(lx);
      int end = skipStatement(lx);
      statements++;
      if (candidate) {
        SqlLexer one = new SqlLexer(sql, start, end);
        one.next();
        TransactionEnd e = toStatement("", analyse(one)).transactionEnd();
        if (e != TransactionEnd.NONE) {
          found = e;
        }
      }
      if (lx.type != EOF) {
        lx.next();
      }
    }
    if (found == TransactionEnd.NONE || statements == 1) {
      return found;
    }
    return TransactionEnd.MULTI_STATEMENT;
  }

  /** {@code COMMIT} in any spelling, with or without AND CHAIN, as the text's only statement. */
  public static boolean isCommit(String sql) {
    TransactionEnd end = endOf(sql);
    return end == TransactionEnd.COMMIT || end == TransactionEnd.COMMIT_AND_CHAIN;
  }

  /** {@code ROLLBACK} or {@code ABORT} in any spelling (not ROLLBACK TO / PREPARED), as the only statement. */
  public static boolean isRollback(String sql) {
    TransactionEnd end = endOf(sql);
    return end == TransactionEnd.ROLLBACK || end == TransactionEnd.ROLLBACK_AND_CHAIN;
  }

  private static boolean mayEndTransaction(SqlLexer lx) {
    return lx.isAny("commit", "end", "rollback", "abort", "prepare");
  }

  // ---------------------------------------------------------------------------------------------- splitting

  /**
   * Advances {@code lx} from a statement's first token to the semicolon that ends it (or EOF) and returns the
   * end of the statement's last token. A semicolon ends a statement only outside parentheses (CREATE RULE …
   * DO (a; b)) and outside the {@code BEGIN ATOMIC … END} body of CREATE FUNCTION/PROCEDURE, which psql finds
   * with the same heuristic: in a statement that starts CREATE [OR REPLACE] FUNCTION|PROCEDURE, BEGIN opens a
   * block, CASE inside a block opens one too, and END closes one.
   */
  private static int skipStatement(SqlLexer lx) {
    int end = lx.end;
    int words = 0;
    boolean create = false;
    boolean orReplace = false;
    boolean routine = false;
    int beginDepth = 0;
    while (true) {
      if (lx.type == WORD) {
        switch (words) {
          case 0 -> create = lx.is("create");
          case 1 -> {
            routine = create && lx.isAny("function", "procedure");
            orReplace = create && lx.is("or");
          }
          case 3 -> routine |= orReplace && lx.isAny("function", "procedure");
          default -> { }
        }
        words++;
        if (routine && lx.depth <= 0) {
          if (lx.is("begin")) {
            beginDepth++;
          } else if (lx.is("case")) {
            if (beginDepth > 0) {
              beginDepth++;
            }
          } else if (lx.is("end") && beginDepth > 0) {
            beginDepth--;
          }
        }
      }
      end = lx.end;
      lx.next();
      if (lx.type == EOF || (lx.isSymbol(';') && lx.depth <= 0 && beginDepth == 0)) {
        return end;
      }
    }
  }

  // ---------------------------------------------------------------------------------------- classification

  /** The facts found about one statement, before it becomes a {@link Statement}. */
  private static final class Facts {
    StatementKind kind;
    boolean mayWrite;
    AccessMode accessMode = AccessMode.UNSPECIFIED;
    IsolationLevel isolation = IsolationLevel.UNSPECIFIED;
    boolean chain;
    boolean volatileRewrite;
    boolean locksRows;
    boolean replicated;
    String name = "";

    Facts(StatementKind kind) {
      this.kind = kind;
      this.mayWrite = kind.mayWriteByDefault();
      this.replicated = kind == StatementKind.DDL || kind == StatementKind.DDL_CREATE_TABLE_AS;
    }

    Facts named(String value) {
      this.name = value;
      return this;
    }
  }

  private static Statement classifyRange(String sql, int start, int end) {
    SqlLexer lx = new SqlLexer(sql, start, end);
    lx.next();
    return toStatement(sql.substring(start, end), analyse(lx));
  }

  private static Statement toStatement(String text, Facts f) {
    return new Statement(text, f.kind, f.mayWrite, f.accessMode, f.isolation, f.chain, f.volatileRewrite,
        f.locksRows, f.replicated, f.name);
  }

  private static Facts notInBlock(boolean replicated, boolean mayWrite) {
    Facts f = new Facts(StatementKind.NOT_IN_BLOCK);
    f.replicated = replicated;
    f.mayWrite = mayWrite;
    return f;
  }

  private static Facts localOnly(boolean mayWrite) {
    Facts f = new Facts(StatementKind.LOCAL_ONLY);
    f.mayWrite = mayWrite;
    return f;
  }

  /** Classifies the statement whose first token is current in {@code lx}; {@code lx} ends anywhere in it. */
  private static Facts analyse(SqlLexer lx) {
    if (lx.isSymbol('(')) {
      return parenthesised(lx);
    }
    if (lx.type != WORD) {
      return new Facts(StatementKind.OTHER);
    }
    switch (Character.toLowerCase(lx.sql().charAt(lx.start))) {
      case 'a':
        if (lx.is("abort")) {
          return rollback(lx, false);
        }
        if (lx.is("alter")) {
          return alter(lx);
        }
        if (lx.isAny("analyze", "analyse")) {
          return localOnly(false);
        }
        break;
      case 'b':
        if (lx.is("begin")) {
          lx.next();
          if (lx.isAny("work", "transaction")) {
            lx.next();
          }
          return transactionModes(lx, new Facts(StatementKind.BEGIN));
        }
        break;
      case 'c':
        if (lx.is("commit")) {
          return commit(lx, true);
        }
        if (lx.is("create")) {
          return create(lx);
        }
        if (lx.is("copy")) {
          return copy(lx);
        }
        if (lx.is("call")) {
          return new Facts(StatementKind.CALL);
        }
        if (lx.is("close")) {
          return new Facts(StatementKind.READ);
        }
        if (lx.is("checkpoint")) {
          return localOnly(false);
        }
        if (lx.is("cluster")) {
          return cluster(lx);
        }
        if (lx.is("comment")) {
          return new Facts(StatementKind.DDL);
        }
        break;
      case 'd':
        if (lx.is("delete")) {
          return new Facts(StatementKind.WRITE);
        }
        if (lx.is("drop")) {
          return drop(lx);
        }
        if (lx.is("do")) {
          return new Facts(StatementKind.DO);
        }
        if (lx.is("declare")) {
          return query(lx, 0, false);
        }
        if (lx.is("deallocate")) {
          lx.next();
          if (lx.is("prepare")) {
            lx.next();
          }
          return new Facts(StatementKind.READ).named(nameOrEmpty(lx));
        }
        if (lx.is("discard")) {
          lx.next();
          return new Facts(StatementKind.READ).named(nameOrEmpty(lx));
        }
        break;
      case 'e':
        if (lx.is("end")) {
          return commit(lx, false);
        }
        if (lx.is("explain")) {
          return explain(lx);
        }
        if (lx.is("execute")) {
          lx.next();
          return new Facts(StatementKind.EXECUTE).named(nameOrEmpty(lx));
        }
        break;
      case 'f':
        if (lx.is("fetch")) {
          return new Facts(StatementKind.READ);
        }
        break;
      case 'g':
        if (lx.is("grant")) {
          return new Facts(StatementKind.DDL);
        }
        break;
      case 'i':
        if (lx.is("insert")) {
          return new Facts(StatementKind.WRITE);
        }
        if (lx.is("import")) {
          return new Facts(StatementKind.DDL);
        }
        break;
      case 'l':
        if (lx.is("lock")) {
          return new Facts(StatementKind.LOCK);
        }
        if (lx.is("listen")) {
          lx.next();
          return new Facts(StatementKind.LISTEN).named(nameOrEmpty(lx));
        }
        if (lx.is("load")) {
          return localOnly(false);
        }
        break;
      case 'm':
        if (lx.is("merge")) {
          return new Facts(StatementKind.WRITE);
        }
        if (lx.is("move")) {
          return new Facts(StatementKind.READ);
        }
        break;
      case 'n':
        if (lx.is("notify")) {
          lx.next();
          return new Facts(StatementKind.NOTIFY).named(nameOrEmpty(lx));
        }
        break;
      case 'p':
        if (lx.is("prepare")) {
          return prepare(lx);
        }
        break;
      case 'r':
        if (lx.is("rollback")) {
          return rollback(lx, true);
        }
        if (lx.is("reset")) {
          lx.next();
          return new Facts(StatementKind.SET).named(parameterName(lx));
        }
        if (lx.is("release")) {
          lx.next();
          if (lx.is("savepoint")) {
            lx.next();
          }
          return new Facts(StatementKind.RELEASE_SAVEPOINT).named(nameOrEmpty(lx));
        }
        if (lx.is("revoke") || lx.is("reassign")) {
          return new Facts(StatementKind.DDL);
        }
        if (lx.is("refresh")) {
          return containsConcurrently(lx) ? notInBlock(true, true) : new Facts(StatementKind.DDL);
        }
        if (lx.is("reindex")) {
          return reindex(lx);
        }
        break;
      case 's':
        if (lx.is("select")) {
          return query(lx, 0, false);
        }
        if (lx.is("set")) {
          return set(lx);
        }
        if (lx.is("show")) {
          lx.next();
          return new Facts(StatementKind.READ).named(parameterName(lx));
        }
        if (lx.is("savepoint")) {
          lx.next();
          return new Facts(StatementKind.SAVEPOINT).named(nameOrEmpty(lx));
        }
        if (lx.is("start")) {
          lx.next();
          if (!lx.is("transaction")) {
            return new Facts(StatementKind.OTHER);
          }
          lx.next();
          return transactionModes(lx, new Facts(StatementKind.BEGIN));
        }
        if (lx.is("security")) {
          return new Facts(StatementKind.DDL);
        }
        break;
      case 't':
        if (lx.is("table")) {
          return query(lx, 0, false);
        }
        if (lx.is("truncate")) {
          return new Facts(StatementKind.TRUNCATE);
        }
        break;
      case 'u':
        if (lx.is("update")) {
          return new Facts(StatementKind.WRITE);
        }
        if (lx.is("unlisten")) {
          lx.next();
          return new Facts(StatementKind.LISTEN).named(nameOrEmpty(lx));
        }
        break;
      case 'v':
        if (lx.is("values")) {
          return query(lx, 0, false);
        }
        if (lx.is("vacuum")) {
          return notInBlock(false, false);
        }
        break;
      case 'w':
        if (lx.is("with")) {
          return query(lx, 0, true);
        }
        break;
      default:
        break;
    }
    return new Facts(StatementKind.OTHER);
  }

  // ------------------------------------------------------------------------------------- transaction control

  private static Facts commit(SqlLexer lx, boolean commitKeyword) {
    lx.next();
    if (commitKeyword && lx.is("prepared")) {
      lx.next();
      return new Facts(StatementKind.COMMIT_PREPARED).named(nameOrEmpty(lx));
    }
    if (lx.isAny("work", "transaction")) {
      lx.next();
    }
    return chain(lx, new Facts(StatementKind.COMMIT));
  }

  private static Facts rollback(SqlLexer lx, boolean rollbackKeyword) {
    lx.next();
    if (rollbackKeyword && lx.is("prepared")) {
      lx.next();
      return new Facts(StatementKind.ROLLBACK_PREPARED).named(nameOrEmpty(lx));
    }
    if (lx.isAny("work", "transaction")) {
      lx.next();
    }
    if (rollbackKeyword && lx.is("to")) {
      lx.next();
      if (lx.is("savepoint")) {
        lx.next();
      }
      return new Facts(StatementKind.ROLLBACK_TO_SAVEPOINT).named(nameOrEmpty(lx));
    }
    return chain(lx, new Facts(StatementKind.ROLLBACK));
  }

  private static Facts chain(SqlLexer lx, Facts f) {
    if (lx.is("and")) {
      lx.next();
      f.chain = lx.is("chain");
    }
    return f;
  }

  /** {@code PREPARE TRANSACTION 'gid'}, or else {@code PREPARE name [(types)] AS statement}. */
  private static Facts prepare(SqlLexer lx) {
    lx.next();
    if (lx.is("transaction")) {
      long mark = lx.mark();
      lx.next();
      if (lx.type == STRING) {
        return new Facts(StatementKind.PREPARE_TRANSACTION).named(lx.value());
      }
      lx.reset(mark);
    }
    return new Facts(StatementKind.PREPARE_STATEMENT).named(nameOrEmpty(lx));
  }

  /** Reads {@code ISOLATION LEVEL …}, {@code READ ONLY|WRITE}, {@code [NOT] DEFERRABLE}, comma-separated or not. */
  private static Facts transactionModes(SqlLexer lx, Facts f) {
    while (lx.type != EOF) {
      if (lx.isSymbol(',') || lx.isAny("not", "deferrable")) {
        lx.next();
      } else if (lx.is("isolation")) {
        lx.next();
        if (lx.is("level")) {
          lx.next();
        }
        if (lx.is("serializable")) {
          f.isolation = IsolationLevel.SERIALIZABLE;
        } else if (lx.is("repeatable")) {
          lx.next();
          f.isolation = IsolationLevel.REPEATABLE_READ;
        } else if (lx.is("read")) {
          lx.next();
          if (lx.is("committed")) {
            f.isolation = IsolationLevel.READ_COMMITTED;
          } else if (lx.is("uncommitted")) {
            f.isolation = IsolationLevel.READ_UNCOMMITTED;
          }
        }
        lx.next();
      } else if (lx.is("read")) {
        lx.next();
        if (lx.is("only")) {
          f.accessMode = AccessMode.READ_ONLY;
        } else if (lx.is("write")) {
          f.accessMode = AccessMode.READ_WRITE;
        }
        lx.next();
      } else {
        break;
      }
    }
    return f;
  }

  /** SET, SET LOCAL/SESSION, SET [LOCAL|SESSION] TRANSACTION, SET SESSION CHARACTERISTICS AS TRANSACTION. */
  private static Facts set(SqlLexer lx) {
    lx.next();
    if (lx.isAny("session", "local")) {
      boolean session = lx.is("session");
      long mark = lx.mark();
      lx.next();
      if (session && lx.is("characteristics")) {
        lx.next();
        if (lx.is("as")) {
          lx.next();
        }
        if (lx.is("transaction")) {
          lx.next();
        }
        return transactionModes(lx, new Facts(StatementKind.SET_SESSION_CHARACTERISTICS));
      }
      if (session && lx.is("authorization")) {
        lx.reset(mark);
      }
    }
    if (lx.is("transaction")) {
      lx.next();
      return transactionModes(lx, new Facts(StatementKind.SET_TRANSACTION));
    }
    return new Facts(StatementKind.SET).named(parameterName(lx));
  }

  /** The parameter SET, RESET or SHOW names, with the grammar's special spellings mapped to their GUC. */
  private static String parameterName(SqlLexer lx) {
    if (lx.type != WORD && lx.type != QUOTED_IDENTIFIER) {
      return "";
    }
    if (lx.type == WORD) {
      long mark = lx.mark();
      if (lx.is("time")) {
        lx.next();
        if (lx.is("zone")) {
          return "timezone";
        }
      } else if (lx.is("names")) {
        return "client_encoding";
      } else if (lx.is("schema")) {
        return "search_path";
      } else if (lx.is("xml")) {
        lx.next();
        if (lx.is("option")) {
          return "xmloption";
        }
      } else if (lx.is("session")) {
        lx.next();
        if (lx.is("authorization")) {
          return "session_authorization";
        }
      } else if (lx.is("transaction")) {
        lx.next();
        if (lx.is("isolation")) {
          return "transaction_isolation";
        }
      }
      lx.reset(mark);
    }
    String name = lx.value();
    lx.next();
    while (lx.isSymbol('.')) {
      lx.next();
      if (lx.type != WORD && lx.type != QUOTED_IDENTIFIER) {
        break;
      }
      name = name + "." + lx.value();
      lx.next();
    }
    return name;
  }

  private static String nameOrEmpty(SqlLexer lx) {
    return lx.type == WORD || lx.type == QUOTED_IDENTIFIER || lx.type == STRING ? lx.value() : "";
  }

  // ------------------------------------------------------------------------------------------------- reads

  /** {@code (SELECT …)}, {@code ((VALUES …))}: a query in parentheses. */
  private static Facts parenthesised(SqlLexer lx) {
    long mark = lx.mark();
    int depth = 0;
    while (lx.isSymbol('(')) {
      depth++;
      lx.next();
    }
    boolean with = lx.is("with");
    if (!with && !lx.isAny("select", "values", "table")) {
      return new Facts(StatementKind.OTHER);
    }
    lx.reset(mark);
    return query(lx, depth, with);
  }

  private static Facts query(SqlLexer lx, int baseDepth, boolean with) {
    int flags = scanQuery(lx, baseDepth, with);
    Facts f;
    if ((flags & SELECT_INTO) != 0) {
      f = (flags & INTO_TEMPORARY) != 0 ? localOnly(true) : new Facts(StatementKind.DDL_CREATE_TABLE_AS);
    } else if ((flags & DATA_MODIFYING) != 0) {
      f = new Facts(StatementKind.WRITE);
    } else {
      f = new Facts(StatementKind.READ);
      f.mayWrite = (flags & SEQUENCE_CALL) != 0;
    }
    f.locksRows = (flags & LOCKS_ROWS) != 0;
    return f;
  }

  /**
   * One pass over a query's tokens. A data-modifying clause is INSERT/UPDATE/DELETE/MERGE right after an
   * opening parenthesis (a WITH member, COPY (…) TO) or, in a WITH statement, the main statement after the
   * WITH list; UPDATE after FOR or KEY is a row lock instead. SELECT … INTO is an INTO at the query's own
   * level not after INSERT or MERGE. A sequence call is {@code nextval(} or {@code setval(}, qualified or not.
   * Where a column happens to be called {@code update} the answer errs toward a write, which only costs a
   * read-write transaction.
   */
  private static int scanQuery(SqlLexer lx, int baseDepth, boolean with) {
    int flags = 0;
    boolean prevOpen = false;
    boolean prevClose = false;
    boolean prevWord = false;
    boolean prevLockWord = false;
    boolean prevInsertOrMerge = false;
    boolean pendingSequence = false;
    boolean pendingDml = false;
    boolean pendingFor = false;
    int pendingInto = 0; // 1: the word after INTO, 2: after INTO LOCAL|GLOBAL, 3: after INTO pg_temp
    for (; lx.type != EOF; lx.next()) {
      boolean top = lx.depth <= baseDepth;
      if (pendingSequence && lx.isSymbol('(')) {
        flags |= SEQUENCE_CALL;
      }
      if (pendingDml && !lx.is("as") && !lx.isSymbol('(')) {
        flags |= DATA_MODIFYING;
      }
      if (pendingFor && lx.isAny("update", "share", "no", "key")) {
        flags |= LOCKS_ROWS;
      }
      if (pendingInto != 0) {
        if ((pendingInto != 3 && lx.isAny("temp", "temporary"))
            || (pendingInto == 3 && lx.isSymbol('.'))) {
          flags |= INTO_TEMPORARY;
        }
        pendingInto = pendingInto == 1 && lx.isAny("local", "global") ? 2
            : pendingInto == 1 && lx.is("pg_temp") ? 3 : 0;
      }
      pendingSequence = false;
      pendingDml = false;
      pendingFor = false;
      if (lx.type == WORD || lx.type == QUOTED_IDENTIFIER) {
        if (lx.isName("nextval") || lx.isName("setval")) {
          pendingSequence = true;
        } else if (lx.isAny("insert", "update", "delete", "merge")) {
          if (prevOpen) {
            flags |= DATA_MODIFYING;
          } else if (with && top && !prevLockWord && (prevClose || prevWord)) {
            pendingDml = true;
          }
        } else if (lx.is("into") && top && !prevInsertOrMerge) {
          flags |= SELECT_INTO;
          pendingInto = 1;
        } else if (lx.is("for")) {
          pendingFor = true;
        }
      }
      prevOpen = lx.isSymbol('(');
      prevClose = lx.isSymbol(')');
      prevWord = lx.type == WORD;
      prevLockWord = lx.isAny("for", "key");
      prevInsertOrMerge = lx.isAny("insert", "merge");
    }
    return flags;
  }

  /**
   * EXPLAIN runs its statement only with ANALYZE: then it is classified as that statement (EXPLAIN ANALYZE
   * DELETE writes, EXPLAIN ANALYZE CREATE TABLE AS creates); without ANALYZE it only plans, a READ.
   */
  private static Facts explain(SqlLexer lx) {
    lx.next();
    boolean analyze = false;
    if (lx.isSymbol('(')) {
      int depth = lx.depth;
      lx.next();
      while (lx.type != EOF && !(lx.isSymbol(')') && lx.depth == depth)) {
        if (lx.depth == depth + 1 && lx.isAny("analyze", "analyse")) {
          lx.next();
          if (lx.isSymbol(',') || lx.isSymbol(')')) {
            analyze = true;
          } else {
            analyze = !isFalse(lx);
            lx.next();
          }
        } else {
          lx.next();
        }
      }
      lx.next();
    } else {
      if (lx.isAny("analyze", "analyse")) {
        analyze = true;
        lx.next();
      }
      if (lx.is("verbose")) {
        lx.next();
      }
    }
    lx.depth = 0;
    Facts inner = analyse(lx);
    return analyze ? inner : new Facts(StatementKind.READ);
  }

  /** A boolean option's value spelled false: false, off, no, 0 (as PostgreSQL's defGetBoolean reads it). */
  private static boolean isFalse(SqlLexer lx) {
    if (lx.type == NUMBER) {
      return lx.end - lx.start == 1 && lx.sql().charAt(lx.start) == '0';
    }
    if (lx.type == WORD) {
      return lx.isAny("false", "off", "no");
    }
    if (lx.type == STRING) {
      String v = SqlLexer.lowerAscii(lx.value());
      return v.equals("false") || v.equals("off") || v.equals("no") || v.equals("0");
    }
    return false;
  }

  /** COPY … FROM writes; COPY … TO reads, unless its query is itself an INSERT/UPDATE/DELETE … RETURNING. */
  private static Facts copy(SqlLexer lx) {
    lx.next();
    if (lx.isSymbol('(')) {
      int flags = scanQuery(lx, 0, false);
      Facts f = new Facts((flags & DATA_MODIFYING) != 0 ? StatementKind.WRITE : StatementKind.READ);
      f.mayWrite = (flags & (DATA_MODIFYING | SEQUENCE_CALL)) != 0;
      return f;
    }
    for (; lx.type != EOF; lx.next()) {
      if (lx.depth <= 0 && lx.is("from")) {
        return new Facts(StatementKind.WRITE);
      }
      if (lx.depth <= 0 && lx.is("to")) {
        return new Facts(StatementKind.READ);
      }
    }
    return new Facts(StatementKind.OTHER);
  }

  // --------------------------------------------------------------------------------------------------- DDL

  private static Facts create(SqlLexer lx) {
    lx.next();
    if (lx.is("or")) {
      lx.next();
      if (lx.is("replace")) {
        lx.next();
      }
    }
    boolean temporary = false;
    while (lx.isAny("global", "local", "temp", "temporary", "unlogged", "unique", "recursive", "trusted",
        "procedural", "constraint", "default")) {
      temporary |= lx.isAny("temp", "temporary");
      lx.next();
    }
    if (lx.is("index")) {
      lx.next();
      return lx.is("concurrently") ? notInBlock(true, true) : new Facts(StatementKind.DDL);
    }
    if (lx.isAny("database", "tablespace")) {
      return notInBlock(false, true); // only one database is replicated; a tablespace's path is the machine's
    }
    if (lx.is("subscription")) {
      return notInBlock(false, true);
    }
    if (lx.is("materialized")) {
      return new Facts(StatementKind.DDL_CREATE_TABLE_AS);
    }
    boolean table = lx.is("table");
    lx.next();
    if (lx.is("if")) {
      while (lx.isAny("if", "not", "exists")) {
        lx.next();
      }
    }
    if (lx.is("pg_temp")) {
      lx.next();
      temporary |= lx.isSymbol('.');
    }
    if (temporary) {
      return localOnly(true);
    }
    if (table) {
      for (; lx.type != EOF; lx.next()) {
        if (lx.depth <= 0 && lx.is("as")) {
          return new Facts(StatementKind.DDL_CREATE_TABLE_AS);
        }
      }
    }
    return new Facts(StatementKind.DDL);
  }

  private static Facts drop(SqlLexer lx) {
    lx.next();
    if (lx.is("index")) {
      lx.next();
      return lx.is("concurrently") ? notInBlock(true, true) : new Facts(StatementKind.DDL);
    }
    if (lx.isAny("database", "tablespace")) {
      return notInBlock(false, true); // only one database is replicated; a tablespace's path is the machine's
    }
    if (lx.is("subscription")) {
      return notInBlock(false, true);
    }
    return new Facts(StatementKind.DDL);
  }

  private static Facts alter(SqlLexer lx) {
    lx.next();
    if (lx.is("system")) {
      return notInBlock(false, false);
    }
    if (lx.is("subscription")) {
      return notInBlock(false, true);
    }
    if (lx.is("database")) {
      boolean afterSet = false;
      for (; lx.type != EOF; lx.next()) {
        if (afterSet && lx.is("tablespace")) {
          return notInBlock(true, true);
        }
        afterSet = lx.is("set");
      }
      return new Facts(StatementKind.DDL);
    }
    Facts f = new Facts(StatementKind.DDL);
    if (lx.is("table")) {
      lx.next();
      f.volatileRewrite = rewritesWithVolatileValues(lx);
    }
    return f;
  }

  private static final int ACTION_OTHER = 0;
  private static final int ACTION_START = 1;
  private static final int ADD_FIRST = 2;
  private static final int ADD_NAME = 3;
  private static final int ADD_TYPE = 4;
  private static final int ADD_COLUMN = 5;
  private static final int ALTER_COLUMN = 6;
  private static final int ALTER_TYPE = 7;

  /**
   * Whether an ALTER TABLE fills a column, during a table rewrite, with values each node computes for itself:
   * an ADD COLUMN of a serial type, of an identity column, or with a call of a volatile function in its
   * default; an ALTER COLUMN … TYPE … USING with such a call. Actions are the comma-separated parts at the
   * top level; {@code lx} is on the token after TABLE.
   */
  private static boolean rewritesWithVolatileValues(SqlLexer lx) {
    int state = ACTION_START;
    boolean pendingCall = false;
    for (; lx.type != EOF; lx.next()) {
      boolean top = lx.depth <= 0;
      if (pendingCall && lx.isSymbol('(')) {
        return true;
      }
      pendingCall = false;
      if (top && lx.isSymbol(',')) {
        state = ACTION_START;
        continue;
      }
      switch (state) {
        case ACTION_START -> {
          if (top && lx.is("add")) {
            state = ADD_FIRST;
          } else if (top && lx.is("alter")) {
            state = ALTER_COLUMN;
          }
        }
        case ADD_FIRST -> {
          if (lx.isAny("constraint", "primary", "unique", "check", "foreign", "exclude")) {
            state = ACTION_OTHER;
          } else if (lx.isAny("column", "if")) {
            state = ADD_NAME;
          } else {
            state = ADD_TYPE;
          }
        }
        case ADD_NAME -> {
          if (!lx.isAny("if", "not", "exists")) {
            state = ADD_TYPE;
          }
        }
        case ADD_TYPE -> {
          if (lx.isAny(SERIAL_TYPES)) {
            return true;
          }
          state = ADD_COLUMN;
        }
        case ADD_COLUMN -> {
          if (lx.is("identity")) {
            return true;
          }
          pendingCall = lx.isAny(VOLATILE_FUNCTIONS);
        }
        case ALTER_COLUMN -> {
          if (top && lx.is("type")) {
            state = ALTER_TYPE;
          }
        }
        case ALTER_TYPE -> pendingCall = lx.isAny(VOLATILE_FUNCTIONS);
        default -> { }
      }
    }
    return false;
  }

  /** Whether CONCURRENTLY appears as a keyword (it is reserved, so it cannot be a bare name). */
  private static boolean containsConcurrently(SqlLexer lx) {
    for (; lx.type != EOF; lx.next()) {
      if (lx.is("concurrently")) {
        lx.next();
        return !isFalse(lx);
      }
    }
    return false;
  }

  /**
   * REINDEX stays local; it cannot run in a block when CONCURRENTLY ({@code REINDEX (CONCURRENTLY) TABLE t}
   * or {@code REINDEX TABLE CONCURRENTLY t}) or for a whole SCHEMA, DATABASE or SYSTEM.
   */
  private static Facts reindex(SqlLexer lx) {
    lx.next();
    boolean concurrently = false;
    if (lx.isSymbol('(')) {
      int depth = lx.depth;
      lx.next();
      while (lx.type != EOF && !(lx.isSymbol(')') && lx.depth == depth)) {
        if (lx.is("concurrently")) {
          lx.next();
          concurrently = lx.isSymbol(',') || lx.isSymbol(')') || !isFalse(lx);
        } else {
          lx.next();
        }
      }
      lx.next();
    }
    boolean wide = lx.isAny("schema", "database", "system");
    if (!concurrently) {
      lx.next();
      concurrently = lx.is("concurrently");
    }
    return concurrently || wide ? notInBlock(false, false) : localOnly(false);
  }

  /** CLUSTER of one table may run in a block; CLUSTER of every clustered table (no table named) may not. */
  private static Facts cluster(SqlLexer lx) {
    lx.next();
    if (lx.isSymbol('(')) {
      int depth = lx.depth;
      while (lx.type != EOF && !(lx.isSymbol(')') && lx.depth == depth)) {
        lx.next();
      }
      lx.next();
    }
    if (lx.is("verbose")) {
      lx.next();
    }
    return lx.type == EOF ? notInBlock(false, false) : localOnly(false);
  }
}
