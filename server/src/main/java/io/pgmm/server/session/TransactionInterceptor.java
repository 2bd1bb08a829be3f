package io.pgmm.server.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.pgmm.config.ReadConsistency;
import io.pgmm.protocol.BackendEncoder;
import io.pgmm.protocol.BackendMessage;
import io.pgmm.protocol.CommandComplete;
import io.pgmm.protocol.ErrorField;
import io.pgmm.protocol.ErrorResponse;
import io.pgmm.protocol.FrontendEncoder;
import io.pgmm.protocol.MessageFramer;
import io.pgmm.protocol.NoticeResponse;
import io.pgmm.protocol.Query;
import io.pgmm.protocol.ReadyForQuery;
import io.pgmm.protocol.Sync;
import io.pgmm.protocol.TransactionStatus;
import io.pgmm.replication.Gid;
import io.pgmm.replication.commit.CommitOutcome;
import io.pgmm.replication.commit.DistributedCommit;
import io.pgmm.server.sql.CreateTableAs;
import io.pgmm.server.sql.Statement;
import io.pgmm.server.sql.StatementClassifier;
import io.pgmm.server.sql.StatementKind;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.List;
import java.util.function.Consumer;

/**
 * Turns the end of every writing transaction into a distributed commit, whatever form it takes.
 *
 * <pre>
 *  client unit                      what PostgreSQL gets                         client hears
 *  autocommit write  ─────────────► BEGIN READ WRITE; unit; [check; PREPARE]     unit's answers, then
 *                                   ── distributed commit ──                     ReadyForQuery(I) or the error
 *  COMMIT / END (Query)  ─────────► [check; PREPARE] ── distributed commit ──    CommandComplete COMMIT, RFQ(I)
 *  Bind/Execute COMMIT; Sync ─────► the unit up to Execute; Sync; [check; PREPARE] ... then the
 *                                   rest of the unit (its Sync answers RFQ(I))
 *  anything else  ────────────────► unchanged
 * </pre>
 *
 * "check" asks PostgreSQL, in one round trip, whether the transaction changed a table that is
 * replicated; if not (only reads, temporary tables, SELECT FOR UPDATE) it commits locally and no
 * peer hears of it. A unit that needs a decision waits until PostgreSQL has answered every unit
 * before it, so the decision sees the real transaction status; units after it wait their turn.
 *
 * <p>Runs on the session's event loop only.
 */
final class TransactionInterceptor implements RelayScanner.Inspector {

  /** The session's two connections, as this class may use them. */
  interface Wires {
    ByteBufAllocator alloc();

    void toBackend(ByteBuf bytes);

    void toClient(ByteBuf bytes);

    void flush();

    void holdClient(boolean hold);

    void runOnEventLoop(Runnable task);
  }

  /**
   * What the open transaction may have changed, in one cheap round trip: {@code none} (no xid: it
   * wrote nothing), {@code write} (an xid, and this backend has no temporary schema, so every
   * table it can have written is permanent: replicate), or {@code temp} (the backend has
   * temporary tables: {@link #CHANGED_TABLES_SQL} tells). The statistics view costs a plan of a
   * large view and a scan of pg_class on every call (measured: the largest share of a client
   * backend's CPU on a commit), so it is asked only when temporary tables make it necessary.
   * A transaction with an xid that changed no permanent tuple (only SELECT FOR UPDATE, nextval,
   * unlogged tables) is then committed through the cluster with nothing to replay: correct, if
   * slower than a local commit.
   */
  private static final String WRITE_KIND_SQL = "SELECT CASE WHEN pg_catalog.pg_current_xact_id_if_assigned() IS NULL"
      + " THEN 'none' WHEN pg_catalog.pg_my_temp_schema() = 0 THEN 'write' ELSE 'temp' END";
  /**
   * Whether this transaction changed a permanent table (temporary tables stay local). On
   * PostgreSQL 15 the "xact" statistics also hold counts of this backend's earlier transactions
   * not yet flushed (verified: a rolled-back insert still counts in the next transaction), so a
   * transaction without an xid, which wrote nothing, is ruled out first.
   */
  private static final String CHANGED_TABLES_SQL =
      "SELECT CASE WHEN pg_catalog.pg_current_xact_id_if_assigned() IS NULL THEN 0 ELSE ("
          + "SELECT count(*) FROM pg_catalog.pg_stat_xact_user_tables s JOIN pg_catalog.pg_class c ON c.oid = s.relid"
          + " WHERE c.relpersistence = 'p' AND s.n_tup_ins + s.n_tup_upd + s.n_tup_del > 0)"
          + " + (COALESCE(pg_catalog.current_setting('" + DdlMarks.PERMANENT_DDL_SETTING + "', true), '') = 'on')::int"
          + " END";
  /**
   * Goes into every distributed transaction just before PREPARE, so that none is empty once
   * decoded: pgoutput sends nothing for an empty prepared transaction, and its peers would never
   * vote (the statistics above can overstate, see there).
   */
  private static final String MARK_AND_PREPARE_SQL = "SELECT pg_catalog.pg_logical_emit_message(true, 'pgmm.tx', ''); ";
  /** The BEGIN that starts a transaction like the open one (for AND CHAIN). */
  private static final String CHAINED_BEGIN_SQL = "SELECT 'BEGIN ISOLATION LEVEL '"
      + " || pg_catalog.upper(pg_catalog.current_setting('transaction_isolation'))"
      + " || CASE WHEN pg_catalog.current_setting('transaction_read_only')::bool THEN ' READ ONLY' ELSE ' READ WRITE' END"
      + " || CASE WHEN pg_catalog.current_setting('transaction_deferrable')::bool THEN ' DEFERRABLE'"
      + " ELSE ' NOT DEFERRABLE' END";
  private static final SecureRandom RANDOM = new SecureRandom();
  /** Units a client may send ahead of the sidecar's decisions before reading from it pauses. */
  private static final int MAX_WAITING_BYTES = 1 << 20;
  /** How long the first statement of a transaction may wait for undecided transactions (global reads). */
  private static final long GLOBAL_READ_WAIT_MILLIS = 30_000;

  private final Wires wires;
  private final TransactionTracker tracker;
  private final BackendRouter router;
  private final DistributedCommit commit;
  private final ReadConsistency readConsistency;
  private final ArrayDeque<ClientUnit> waiting = new ArrayDeque<>();
  private ClientUnit current;
  /** A unit is being decided or committed; later units wait. */
  private boolean busy;
  /** The status PostgreSQL will report once every forwarded unit is answered, as far as it can be told. */
  private TransactionStatus predicted = TransactionStatus.IDLE;
  /** DDL or TRUNCATE ran in the open transaction: replicate it even if no tuple changed. */
  private boolean ddlInTransaction;
  /** A TRUNCATE ran in the open transaction: no event trigger tells of it (see commitTransaction). */
  private boolean truncateInTransaction;
  /** The sidecar opened a block for an autocommit unit that a Flush split; its Sync ends the block. */
  private boolean wrapOpen;

  TransactionInterceptor(Wires wires, TransactionTracker tracker, BackendRouter router, DistributedCommit commit,
      ReadConsistency readConsistency) {
    this.wires = wires;
    this.tracker = tracker;
    this.router = router;
    this.commit = commit;
    this.readConsistency = readConsistency;
  }

  // ---- assembling units -----------------------------------------------------------------

  @Override
  public boolean wantsWhole(byte type) {
    return type != 'd'; // CopyData streams through: it belongs to a unit already sent
  }

  @Override
  public boolean inspect(byte type, ByteBuf message) {
    ByteBuf payload = ClientSession.payload(message);
    switch (type) {
      case 'c', 'f' -> {
        return true; // CopyDone, CopyFail: part of the COPY already under way
      }
      case 'Q' -> {
        tracker.onFrontend(type, payload);
        ClientUnit unit = new ClientUnit(ClientUnit.Kind.QUERY);
        unit.add(message.retain());
        unit.sql.add(tracker.lastSimpleQuery());
        submit(unit);
      }
      case 'F' -> {
        ClientUnit unit = new ClientUnit(ClientUnit.Kind.FUNCTION_CALL);
        unit.add(message.retain());
        submit(unit);
      }
      case 'X' -> {
        ClientUnit unit = new ClientUnit(ClientUnit.Kind.TERMINATE);
        unit.add(message.retain());
        submit(unit);
      }
      default -> {
        if (current == null) {
          current = new ClientUnit(ClientUnit.Kind.EXTENDED);
        }
        if (type == 'P' || type == 'B' || type == 'C') {
          tracker.onFrontend(type, payload);
        }
        if (type == 'E') {
          current.addExecute(message.retain(), tracker.portalSql(TransactionTracker.cString(payload, payload.readerIndex())));
        } else {
          current.add(message.retain());
        }
        // Flush asks for answers before Sync: decide now with what has come, unless a COMMIT is
        // among it, which waits for the Sync (a commit is decided on whole units only).
        if (type == 'S' || (type == 'H' && !Facts.of(current).commits)) {
          ClientUnit unit = current;
          current = null;
          unit.complete = type == 'S';
          submit(unit);
        }
      }
    }
    return false;
  }

  /**
   * Conflict resolution aborts this session's transaction for an older one. A running statement
   * is cancelled (the router turns the 57014 into {@code wound}); a client idle inside its block
   * is out of a cancel's reach, so the sidecar fails the block itself: PostgreSQL releases an
   * aborted block's locks at once. The client hears {@code wound} at its next statement (instead
   * of 25P02) or at its COMMIT.
   */
  void woundIfIdleInTransaction(ErrorResponse wound) {
    if (busy || wrapOpen || current != null || !waiting.isEmpty() || !router.idle()
        || tracker.status() != TransactionStatus.IN_TRANSACTION) {
      return;
    }
    busy = true;
    inject("DO $pgmm$BEGIN RAISE EXCEPTION USING ERRCODE = '40001', MESSAGE = 'pgmm: wounded'; END$pgmm$", r -> {
      busy = false;
      router.woundBlock(wound);
      drain();
    });
    wires.flush();
  }

  private void submit(ClientUnit unit) {
    waiting.add(unit);
    drain();
  }

  private void drain() {
    if (router.idle() && !busy && !wrapOpen) {
      predicted = tracker.status();
    }
    while (!busy && !waiting.isEmpty()) {
      process(waiting.poll());
    }
    // Keep reading while a unit is in flight (a COPY's data must reach PostgreSQL); only a client
    // that runs far ahead is made to wait.
    wires.holdClient(busy && waitingBytes() > MAX_WAITING_BYTES);
    wires.flush();
  }

  // ---- deciding --------------------------------------------------------------------------

  private int waitingBytes() {
    int n = 0;
    for (ClientUnit u : waiting) {
      n += u.bytes();
    }
    return n;
  }

  private void process(ClientUnit unit) {
    if (unit.kind == ClientUnit.Kind.TERMINATE) {
      forward(unit);
      return;
    }
    Facts facts = Facts.of(unit);
    if (facts.refusal != null) {
      refuse(unit, facts.refusal);
      return;
    }
    if (wrapOpen) {
      continueWrap(unit, facts);
      return;
    }
    // A chained transaction starts inside the unit: waiting before it is as good as before a BEGIN.
    if ((predicted == TransactionStatus.IDLE || facts.chains) && readConsistency == ReadConsistency.GLOBAL) {
      var wait = commit.awaitPrecommitted();
      if (!wait.isDone()) {
        // Every commit acknowledged anywhere before this transaction began must be visible to it.
        // Bounded: a transaction left in doubt gets the client an error, never a hang.
        busy = true;
        wait.orTimeout(GLOBAL_READ_WAIT_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS)
            .whenComplete((v, e) -> wires.runOnEventLoop(() -> {
              busy = false;
              if (e != null) {
                refuse(unit, ErrorResponse.of("ERROR", "57P03", "pgmm cannot start a globally consistent transaction:"
                    + " a distributed transaction prepared on this node is still undecided after "
                    + GLOBAL_READ_WAIT_MILLIS + " ms; retry, or set replication.readConsistency: local"));
              } else {
                decide(unit, facts);
              }
              drain();
            }));
        return;
      }
    }
    decide(unit, facts);
  }

  private void decide(ClientUnit unit, Facts facts) {
    if (facts.notInBlock) {
      // PostgreSQL refuses these in a block, so they cannot be prepared. VACUUM, CREATE DATABASE,
      // ALTER SYSTEM... stay on this node; CREATE INDEX CONCURRENTLY and its kind run here, then on
      // every peer (README: DDL).
      if (facts.runsOnEveryNode(unit)) {
        runOnEveryNode(unit, facts.statements.get(0));
      } else {
        forward(unit);
      }
      return;
    }
    if (unit.kind == ClientUnit.Kind.QUERY && facts.statements.size() > 1
        && (facts.transactionControl || facts.ddl || (predicted == TransactionStatus.IDLE && facts.mayWrite))) {
      unit.release();
      busy = true;
      QueryScript script = new QueryScript(unit.sql.get(0), facts.statements);
      router.whenIdle(script::start);
      return;
    }
    if (facts.commits) {
      busy = true;
      router.whenIdle(() -> commitUnit(unit, facts));
    } else if (predicted == TransactionStatus.IDLE && facts.mayWrite && !facts.transactionControl) {
      autocommitWrite(unit, facts);
    } else {
      if (facts.ddl) {
        emitDdl(facts, unit.sql);
      }
      if (unit.complete || unit.kind != ClientUnit.Kind.EXTENDED) {
        router.expectForClient();
      }
      writeAll(unit.messages);
      unit.messages.clear();
      predicted = facts.statusAfter(predicted);
      if (predicted == TransactionStatus.IDLE) {
        forgetDdl();
      }
    }
  }

  private void forward(ClientUnit unit) {
    router.expectForClient();
    writeAll(unit.messages);
    unit.messages.clear();
  }

  private void writeAll(List<ByteBuf> messages) {
    for (ByteBuf m : messages) {
      wires.toBackend(m);
    }
  }

  /**
   * An autocommit write runs inside a block of the sidecar's, so it can be prepared. A unit split
   * by a Flush leaves the block open until the unit's Sync.
   */
  private void autocommitWrite(ClientUnit unit, Facts facts) {
    inject("BEGIN READ WRITE", r -> { });
    forgetDdl();
    predicted = TransactionStatus.IN_TRANSACTION;
    wrapOpen = true;
    continueWrap(unit, facts);
  }

  private void continueWrap(ClientUnit unit, Facts facts) {
    if (facts.ddl) {
      emitDdl(facts, unit.sql);
    }
    if (unit.kind == ClientUnit.Kind.EXTENDED && !unit.complete) {
      writeAll(unit.messages);
      unit.messages.clear();
      return;
    }
    busy = true;
    wrapOpen = false;
    router.expectForClientThen(end -> {
      switch (end.status()) {
        case IN_TRANSACTION -> commitTransaction(outcome -> finish(outcome, null, TransactionStatus.IDLE));
        case FAILED -> inject("ROLLBACK", r -> finish(null, null, TransactionStatus.IDLE));
        case IDLE -> finish(null, null, TransactionStatus.IDLE);
      }
    });
    writeAll(unit.messages);
    unit.messages.clear();
    wires.flush();
  }

  /**
   * A statement every node must run outside a transaction: here first (PostgreSQL's own answer,
   * error or not, goes to the client), then, if it succeeded, on every peer; the client's
   * ReadyForQuery waits for them. It cannot be all-or-nothing: a peer where it failed is named in
   * a WARNING, with what to do.
   */
  private void runOnEveryNode(ClientUnit unit, Statement statement) {
    busy = true;
    String[] message = new String[1];
    // The marks are set in the same SELECT: if the message is refused, the DDL guard refuses the
    // statement here too, and nothing runs anywhere.
    inject("SELECT " + ddlMessageExpression(statement.text()) + ", " + DdlMarks.setExpression(unit.sql), r -> {
      message[0] = r.failed() || r.firstColumn().isEmpty() ? null : r.firstColumn().get(0);
    });
    router.expectForClientThen(end -> {
      if (end.error() != null || message[0] == null) {
        finish(null, null, end.status());
        return;
      }
      commit.runOnPeers(message[0]).whenComplete((failures, e) -> wires.runOnEventLoop(() -> {
        if (!failures.isEmpty()) {
          wires.toClient(encode(new NoticeResponse(withHint(ErrorResponse.of("WARNING", "01000",
              "the statement succeeded on this node but failed on " + String.join("; ", failures)),
              "Run it again on the nodes named (directly, or here with IF NOT EXISTS / IF EXISTS), or undo it"
                  + " here; until then the nodes differ in this object.").fields())));
        }
        finish(null, null, end.status());
        wires.flush();
      }));
    });
    writeAll(unit.messages);
    unit.messages.clear();
    wires.flush();
  }

  /** A unit that ends the client's transaction with COMMIT, now that PostgreSQL has answered all before it. */
  private void commitUnit(ClientUnit unit, Facts facts) {
    // The sidecar failed this block for an older transaction while the client sat in it: PostgreSQL
    // would answer its COMMIT with ROLLBACK and no error, and the client would take it as committed.
    ErrorResponse wound = tracker.status() == TransactionStatus.FAILED ? router.blockWound() : null;
    if (wound == null && tracker.status() != TransactionStatus.IN_TRANSACTION) {
      // COMMIT of a failed block is a ROLLBACK, outside a block a warning: PostgreSQL's own answers.
      busy = false;
      forward(unit);
      predicted = TransactionStatus.IDLE;
      forgetDdl();
      drain();
      return;
    }
    if (unit.kind == ClientUnit.Kind.QUERY) {
      unit.release(); // one statement: a longer string that commits runs as a QueryScript
      boolean chain = facts.commitChains();
      if (wound != null) {
        rollBack(wound, outcome -> finish(outcome, null, TransactionStatus.IDLE));
      } else {
        commitTransaction(chain, outcome -> finish(outcome, "COMMIT", statusAfterCommit(outcome, chain)));
      }
      return;
    }
    // Extended: the unit up to the COMMIT's Execute, then a Sync of ours; the rest follows the commit.
    int commitAt = unit.executeIndexes.get(facts.commitExecute);
    List<ByteBuf> before = List.copyOf(unit.messages.subList(0, commitAt));
    ByteBuf commitExecute = unit.messages.get(commitAt);
    List<ByteBuf> after = List.copyOf(unit.messages.subList(commitAt + 1, unit.messages.size()));
    unit.messages.clear();
    commitExecute.release();
    router.expectForClientThen(end -> {
      boolean wounded = wound != null && end.status() == TransactionStatus.FAILED && end.error() == null;
      if (end.status() != TransactionStatus.IN_TRANSACTION && !wounded) {
        // The unit failed before reaching COMMIT: PostgreSQL skips to the client's Sync.
        after.forEach(ByteBuf::release);
        finish(null, null, end.status());
        return;
      }
      Consumer<Done> told = outcome -> {
        if (outcome instanceof Done.Failed f) {
          after.forEach(ByteBuf::release);
          wires.toClient(encode(f.error()));
          router.releaseHeld(wires::toClient);
          wires.toClient(encode(ReadyForQuery.IDLE));
          busy = false;
          predicted = TransactionStatus.IDLE;
          drain();
          return;
        }
        wires.toClient(encode(new CommandComplete("COMMIT")));
        router.releaseHeld(wires::toClient);
        busy = false;
        predicted = statusAfterCommit(outcome, facts.commitChains());
        // What followed the COMMIT up to the Sync runs as a unit of its own; usually just the Sync.
        ClientUnit rest = new ClientUnit(ClientUnit.Kind.EXTENDED);
        int nextSql = facts.commitExecute + 1;
        for (ByteBuf m : after) {
          if (m.getByte(m.readerIndex()) == 'E') {
            rest.addExecute(m, unit.sql.get(nextSql++));
          } else {
            rest.add(m);
          }
        }
        rest.complete = true;
        waiting.addFirst(rest);
        drain();
      };
      if (wounded) {
        rollBack(wound, told);
      } else {
        commitTransaction(facts.commitChains(), told);
      }
    });
    writeAll(before);
    wires.toBackend(encode(Sync.INSTANCE));
    wires.flush();
  }

  /**
   * A multi-statement Query that writes, ends a transaction or changes the schema, run statement
   * by statement so the sidecar can act between them, with PostgreSQL's semantics: one implicit
   * transaction for the statements outside an explicit block (the sidecar's BEGIN makes it
   * explicit, so it can be prepared), the rest of the string skipped after an error, one
   * ReadyForQuery at the end.
   */
  private final class QueryScript {
    private final String sql;
    private final List<Statement> statements;
    private final int[] offsets;
    private int at;
    /** The sidecar opened the block the statements run in (PostgreSQL's implicit transaction). */
    private boolean implicitBlock;

    QueryScript(String sql, List<Statement> statements) {
      this.sql = sql;
      this.statements = statements;
      this.offsets = new int[statements.size()];
      int from = 0;
      for (int i = 0; i < statements.size(); i++) {
        int found = sql.indexOf(statements.get(i).text(), from);
        offsets[i] = Math.max(found, 0);
        from = found < 0 ? from : found + statements.get(i).text().length();
      }
    }

    /**
     * PostgreSQL parses the whole string before it runs any of it, so a syntax error anywhere
     * runs nothing. Outside a block the sidecar asks the same of PostgreSQL first: a Parse of the
     * whole string fails with "cannot insert multiple commands" if, and only if, it parses. (In
     * a block a failed Parse would abort the block, so there the check is skipped.)
     */
    void start() {
      if (tracker.status() != TransactionStatus.IDLE) {
        next();
        return;
      }
      router.expectForSidecar(r -> {
        if (r.failed() && !r.error().message().startsWith("cannot insert multiple commands")) {
          finish(new Done.Failed(r.error()), null, TransactionStatus.IDLE);
        } else {
          next();
        }
      });
      ByteBuf out = wires.alloc().buffer();
      FrontendEncoder.encode(new io.pgmm.protocol.Parse("pgmm_syntax_check", sql, new int[0]), out);
      FrontendEncoder.encode(Sync.INSTANCE, out);
      wires.toBackend(out);
      wires.flush();
    }

    void next() {
      TransactionStatus status = tracker.status();
      if (at == statements.size()) {
        if (implicitBlock && status == TransactionStatus.IN_TRANSACTION) {
          commitTransaction(outcome -> finish(outcome, null, TransactionStatus.IDLE));
        } else {
          finish(null, null, status);
        }
        return;
      }
      int offset = offsets[at];
      Statement s = statements.get(at++);
      StatementKind kind = s.kind();
      if (kind == StatementKind.BEGIN && implicitBlock) {
        // PostgreSQL turns the implicit transaction into the explicit block; ours already is one.
        implicitBlock = false;
        wires.toClient(encode(new CommandComplete("BEGIN")));
        next();
        return;
      }
      if (kind == StatementKind.COMMIT && status == TransactionStatus.FAILED && router.blockWound() != null) {
        rollBack(router.blockWound(), outcome -> finish(outcome, null, TransactionStatus.IDLE)); // see commitUnit
        return;
      }
      if ((kind == StatementKind.COMMIT) && status == TransactionStatus.IN_TRANSACTION) {
        implicitBlock = false;
        commitTransaction(s.chain(), outcome -> {
          if (outcome instanceof Done.Failed f) {
            finish(outcome, null, TransactionStatus.IDLE);
            return;
          }
          wires.toClient(encode(new CommandComplete("COMMIT")));
          forgetDdl();
          next();
        });
        return;
      }
      if (status == TransactionStatus.IDLE && !s.kind().isTransactionControl() && (s.mayWrite() || kind.isReplicatedDdl())) {
        inject("BEGIN READ WRITE", r -> { });
        implicitBlock = true;
        forgetDdl();
      }
      if (kind.isReplicatedDdl() || kind == StatementKind.TRUNCATE) {
        emitDdl(new Facts(List.of(s), false, -1, true, false, true, null, false, false), List.of(s.text()));
      }
      if (kind == StatementKind.ROLLBACK) {
        implicitBlock = false;
        forgetDdl();
      }
      router.expectForClientThen(end -> {
        if (end.error() != null) {
          if (implicitBlock) {
            inject("ROLLBACK", r -> finish(null, null, TransactionStatus.IDLE));
            wires.flush();
          } else {
            finish(null, null, end.status());
          }
          return;
        }
        next();
      }, offset);
      ByteBuf out = wires.alloc().buffer();
      FrontendEncoder.encode(new Query(s.text()), out);
      wires.toBackend(out);
      wires.flush();
    }
  }

  /** Where a commit attempt ended, for the client. */
  private sealed interface Done {
    record Committed() implements Done {}

    record Failed(ErrorResponse error) implements Done {}
  }

  /**
   * COMMIT AND CHAIN: the commit, then a new block with the same isolation level, access mode
   * and deferrability, as PostgreSQL starts it. A failed commit starts nothing (PostgreSQL's
   * behaviour too: the session is then idle).
   */
  private void commitTransaction(boolean chain, Consumer<Done> done) {
    if (!chain) {
      commitTransaction(done);
      return;
    }
    inject(CHAINED_BEGIN_SQL, begin -> {
      if (begin.failed()) {
        rollBack(begin.error(), done);
        return;
      }
      commitTransaction(outcome -> {
        if (outcome instanceof Done.Committed) {
          forgetDdl();
          inject(begin.firstColumn().get(0), r -> done.accept(outcome));
          wires.flush();
        } else {
          done.accept(outcome);
        }
      });
    });
    wires.flush();
  }

  private static TransactionStatus statusAfterCommit(Done outcome, boolean chain) {
    return chain && outcome instanceof Done.Committed ? TransactionStatus.IN_TRANSACTION : TransactionStatus.IDLE;
  }

  /**
   * Ends the open transaction: locally when it changed nothing replicated, otherwise PREPARE
   * TRANSACTION here and the distributed commit. {@code done} runs on the event loop.
   */
  private void commitTransaction(Consumer<Done> done) {
    inject(WRITE_KIND_SQL, kind -> {
      if (kind.failed()) {
        rollBack(kind.error(), done); // e.g. cancelled for an older transaction (40001): the client hears why
        return;
      }
      String answer = kind.firstColumn().isEmpty() ? "write" : kind.firstColumn().get(0);
      if (truncateInTransaction || !"temp".equals(answer)) {
        commitChecked(ddlInTransaction || !"none".equals(answer), done);
        return;
      }
      // Temporary tables: DDL the session captured may have been on them only (DROP TABLE of a
      // temporary table), and such a transaction cannot be prepared; the DDL guard's triggers
      // note DDL on permanent objects (see CHANGED_TABLES_SQL).
      inject(CHANGED_TABLES_SQL, check -> {
        if (check.failed()) {
          rollBack(check.error(), done);
        } else {
          commitChecked(check.firstColumn().isEmpty() || !"0".equals(check.firstColumn().get(0)), done);
        }
      });
      wires.flush();
    });
    wires.flush();
  }

  /** Ends the transaction with ROLLBACK; the client hears {@code error}, the reason. */
  private void rollBack(ErrorResponse error, Consumer<Done> done) {
    inject("ROLLBACK", r -> done.accept(new Done.Failed(error)));
    wires.flush();
  }

  private void commitChecked(boolean changed, Consumer<Done> done) {
    if (!changed) {
      inject("COMMIT", r -> done.accept(r.failed() ? new Done.Failed(r.error()) : new Done.Committed()));
      wires.flush();
      return;
    }
    String unavailable = commit.unavailableReason();
    if (unavailable != null) {
      rollBack(ErrorResponse.of("ERROR", "57P03", "pgmm cannot commit a write now: " + unavailable), done);
      return;
    }
    Gid gid = commit.nextGid();
    inject(MARK_AND_PREPARE_SQL + "PREPARE TRANSACTION '" + gid.text() + "'", prepared -> {
      if (prepared.failed()) {
        if (tracker.status() == TransactionStatus.IDLE) {
          done.accept(new Done.Failed(explainPrepareFailure(prepared.error()))); // PostgreSQL rolled back
        } else {
          rollBack(prepared.error(), done); // the statement before it failed (a cancel): the block is still open
        }
        return;
      }
      commit.commit(gid).whenComplete((outcome, e) -> wires.runOnEventLoop(() -> {
        if (e != null) {
          done.accept(new Done.Failed(ErrorResponse.of("ERROR", "08007",
              "pgmm lost track of transaction " + gid + ": " + e)));
        } else if (outcome instanceof CommitOutcome.Committed) {
          done.accept(new Done.Committed());
        } else if (outcome instanceof CommitOutcome.Aborted a) {
          done.accept(new Done.Failed(ErrorResponse.of("ERROR", a.sqlState(), a.message())));
        } else if (outcome instanceof CommitOutcome.Unknown u) {
          done.accept(new Done.Failed(ErrorResponse.of("ERROR", "08007", u.message())));
        }
        wires.flush();
      }));
    });
    wires.flush();
  }

  /** PostgreSQL's reasons not to PREPARE are about its own two-phase commit: say what they mean here. */
  private static ErrorResponse explainPrepareFailure(ErrorResponse error) {
    if (!"0A000".equals(error.sqlState())) {
      return error;
    }
    return withHint(error, "pgmm commits every transaction that changes replicated tables with two-phase commit,"
        + " which PostgreSQL refuses after temporary tables, WITH HOLD cursors, LISTEN, UNLISTEN or NOTIFY were used"
        + " in the same transaction. Do those in a transaction of their own.");
  }

  /** Tells the client how its transaction ended and lets the next unit go. */
  private void finish(Done outcome, String commandTag, TransactionStatus status) {
    if (outcome instanceof Done.Failed f) {
      wires.toClient(encode(f.error()));
    } else if (commandTag != null) {
      wires.toClient(encode(new CommandComplete(commandTag)));
    }
    router.releaseHeld(wires::toClient);
    wires.toClient(encode(status == TransactionStatus.IDLE ? ReadyForQuery.IDLE
        : status == TransactionStatus.FAILED ? ReadyForQuery.FAILED : ReadyForQuery.IN_TRANSACTION));
    busy = false;
    predicted = status;
    if (status == TransactionStatus.IDLE) {
      forgetDdl();
    }
    drain();
  }

  /**
   * Answers a unit the sidecar will not run. PostgreSQL itself raises the error (a DO block
   * stands in for the unit), so the transaction status afterwards is exactly PostgreSQL's: an
   * error inside a block fails the block.
   */
  private void refuse(ClientUnit unit, ErrorResponse error) {
    unit.release();
    if (unit.kind == ClientUnit.Kind.EXTENDED && !unit.complete) {
      current = new ClientUnit(ClientUnit.Kind.EXTENDED); // swallow up to the Sync, which then answers
    }
    String hint = error.fields().get(ErrorField.HINT);
    String tag = dollarTag(error.message() + (hint == null ? "" : hint));
    String quote = tag.replace("$pgmm", "$m");
    router.expectForClient();
    ByteBuf out = wires.alloc().buffer();
    FrontendEncoder.encode(new Query("DO " + tag + "BEGIN RAISE EXCEPTION USING ERRCODE = '" + error.sqlState()
        + "', MESSAGE = " + quote + error.message() + quote
        + (hint == null ? "" : ", HINT = " + quote + hint + quote) + "; END" + tag), out);
    wires.toBackend(out);
  }

  private void forgetDdl() {
    ddlInTransaction = false;
    truncateInTransaction = false;
  }

  /**
   * Captures a unit's DDL for the peers, in the same transaction, just before it runs, and marks
   * {@code queries} (the texts the backend runs the unit as) as seen for the DDL guard.
   */
  private void emitDdl(Facts facts, List<String> queries) {
    ddlInTransaction = true;
    truncateInTransaction |= facts.statements.stream().anyMatch(st -> st.kind() == StatementKind.TRUNCATE);
    StringBuilder select = new StringBuilder("SELECT ").append(DdlMarks.setExpression(queries));
    boolean captured = false;
    for (Statement s : facts.statements) {
      if (s.kind().isReplicatedDdl()) {
        String text = s.kind() == StatementKind.DDL_CREATE_TABLE_AS ? CreateTableAs.forPeers(s.text()) : s.text();
        select.append(", pg_catalog.pg_logical_emit_message(true, 'pgmm.ddl', ").append(ddlMessageExpression(text))
            .append(')');
        captured = true;
      }
    }
    if (captured) { // a TRUNCATE alone is decoded: nothing to capture, and no event trigger fires for it
      // Refused (see ddlMessageExpression): the block fails, and the client hears why at the 25P02 of its statement.
      router.expectForSidecarWoundingBlock();
      sendQuery(select.toString());
    }
  }

  /**
   * An SQL expression, evaluated in the client's session, for the apply's DdlMessage format: a
   * header of search_path and role, an empty line, the SQL.
   */
  private static String ddlMessageExpression(String sql) {
    String tag = dollarTag(sql);
    // The sidecar reads and writes statement text as UTF-8: under another client_encoding a
    // non-ASCII text would reach the peers garbled, so the message is refused then (0A000).
    String encodingCheck = sql.chars().allMatch(c -> c < 128) ? "" : "pgmm.require_utf8_for_ddl() || ";
    return encodingCheck + "'pgmm-ddl/1' || chr(10) || 'search_path: ' || pg_catalog.current_setting('search_path')"
        + " || chr(10) || 'role: ' || current_user || chr(10) || chr(10) || " + tag + sql + tag;
  }

  private static ErrorResponse withHint(ErrorResponse error, String hint) {
    java.util.Map<ErrorField, String> fields = new java.util.EnumMap<>(ErrorField.class);
    fields.putAll(error.fields());
    fields.put(ErrorField.HINT, hint);
    return new ErrorResponse(fields);
  }

  private static String dollarTag(String text) {
    while (true) {
      String tag = "$pgmm" + Long.toHexString(RANDOM.nextLong() & Long.MAX_VALUE) + "$";
      if (!text.contains(tag)) {
        return tag;
      }
    }
  }

  private void inject(String sql, Consumer<BackendRouter.QueryResult> then) {
    router.expectForSidecar(then);
    sendQuery(sql);
  }

  private void sendQuery(String sql) {
    ByteBuf out = wires.alloc().buffer();
    FrontendEncoder.encode(new Query(sql), out);
    wires.toBackend(out);
  }

  private ByteBuf encode(BackendMessage message) {
    ByteBuf out = wires.alloc().buffer();
    BackendEncoder.encode(message, out);
    return out;
  }

  private ByteBuf encode(Sync sync) {
    ByteBuf out = wires.alloc().buffer(MessageFramer.HEADER_BYTES);
    FrontendEncoder.encode(sync, out);
    return out;
  }

  void release() {
    if (current != null) {
      current.release();
      current = null;
    }
    waiting.forEach(ClientUnit::release);
    waiting.clear();
  }

  /** What a unit's SQL means for its transaction. */
  private record Facts(List<Statement> statements, boolean commits, int commitExecute, boolean mayWrite,
                       boolean transactionControl, boolean ddl, ErrorResponse refusal, boolean notInBlock,
                       boolean chains) {

    static Facts of(ClientUnit unit) {
      List<Statement> statements = new java.util.ArrayList<>();
      int commitExecute = -1;
      if (unit.kind == ClientUnit.Kind.FUNCTION_CALL) {
        return new Facts(List.of(), false, -1, true, false, false, null, false, false);
      }
      for (int i = 0; i < unit.sql.size(); i++) {
        List<Statement> parsed = StatementClassifier.classify(unit.sql.get(i));
        for (Statement s : parsed) {
          if (s.kind() == StatementKind.COMMIT && commitExecute < 0 && unit.kind == ClientUnit.Kind.EXTENDED) {
            commitExecute = i;
          }
        }
        statements.addAll(parsed);
      }
      boolean commits = false;
      boolean mayWrite = !unit.complete && unit.kind == ClientUnit.Kind.EXTENDED; // a Flush: the rest is unknown
      boolean control = false;
      boolean ddl = false;
      ErrorResponse refusal = null;
      boolean chains = false;
      for (Statement s : statements) {
        StatementKind k = s.kind();
        switch (k) {
          case COMMIT -> {
            commits = true;
            control = true;
          }
          case BEGIN, ROLLBACK, SAVEPOINT, RELEASE_SAVEPOINT, ROLLBACK_TO_SAVEPOINT -> control = true;
          case PREPARE_TRANSACTION, COMMIT_PREPARED, ROLLBACK_PREPARED -> refusal = ErrorResponse.of("ERROR", "0A000",
              "pgmm runs two-phase commit itself; " + s.kind().name().replace('_', ' ') + " is not available to clients");
          default -> { }
        }
        if (k == StatementKind.BEGIN && s.isolationSerializable()) {
          refusal = ErrorResponse.of("ERROR", "0A000",
              "pgmm does not offer SERIALIZABLE across nodes (only local reads would be checked); use REPEATABLE READ");
        }
        chains |= s.chain();
        if (k == StatementKind.DDL_CREATE_TABLE_AS && CreateTableAs.forPeers(s.text()) == null) {
          refusal = withHint(ErrorResponse.of("ERROR", "0A000", "pgmm cannot replicate SELECT ... INTO"),
              "Use CREATE TABLE name AS SELECT ..., which does the same and is replicated.");
        }
        if (s.volatileRewrite()) {
          refusal = withHint(ErrorResponse.of("ERROR", "0A000", "pgmm cannot replicate this ALTER TABLE: it fills a"
              + " column with values computed row by row (a volatile default such as random(), clock_timestamp() or"
              + " gen_random_uuid(), a serial column, or USING with such a call), and every node would compute"
              + " different ones"), "Add the column without that default (or with a constant one), then set its"
              + " values with UPDATE, which is replicated; SET DEFAULT afterwards applies to new rows only.");
        }
        mayWrite |= s.mayWrite();
        ddl |= k.isReplicatedDdl() || k == StatementKind.TRUNCATE; // TRUNCATE changes no tuple counts
      }
      boolean notInBlock = statements.stream().anyMatch(Statement::cannotRunInBlock);
      return new Facts(List.copyOf(statements), commits, commitExecute, mayWrite, control, ddl, refusal, notInBlock,
          chains);
    }

    /** A unit of one statement that PostgreSQL runs outside a block and every node must run. */
    boolean runsOnEveryNode(ClientUnit unit) {
      return statements.size() == 1 && statements.get(0).kind() == StatementKind.NOT_IN_BLOCK
          && statements.get(0).replicated() && (unit.complete || unit.kind == ClientUnit.Kind.QUERY);
    }

    /** The unit's first COMMIT (the one the sidecar runs) is COMMIT AND CHAIN. */
    boolean commitChains() {
      return statements.stream().filter(s -> s.kind() == StatementKind.COMMIT).findFirst().map(Statement::chain)
          .orElse(false);
    }

    TransactionStatus statusAfter(TransactionStatus before) {
      TransactionStatus s = before;
      for (Statement st : statements) {
        switch (st.kind()) {
          case BEGIN -> s = TransactionStatus.IN_TRANSACTION;
          case ROLLBACK, COMMIT -> s = st.chain() ? TransactionStatus.IN_TRANSACTION : TransactionStatus.IDLE;
          default -> { }
        }
      }
      return s;
    }
  }
}
