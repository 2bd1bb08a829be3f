package io.pgmm.server.session;

import io.netty.buffer.ByteBuf;
import io.pgmm.protocol.TransactionStatus;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * What the session knows about its client's transaction: the status of the last ReadyForQuery and
 * the SQL text behind every prepared statement and portal, so that a {@code COMMIT} hidden behind
 * a statement name (pgjdbc past prepareThreshold, pgbench -M prepared) can still be recognised.
 *
 * <p>Reads only the names and texts it needs straight from the relayed bytes; a Bind's parameter
 * values are never decoded.
 */
public final class TransactionTracker {

  private TransactionStatus status = TransactionStatus.IDLE;
  private final Map<String, String> statementSql = new HashMap<>();
  private final Map<String, String> portalSql = new HashMap<>();
  private String lastSimpleQuery = "";

  public TransactionStatus status() {
    return status;
  }

  public String statementSql(String statementName) {
    return statementSql.get(statementName);
  }

  public String portalSql(String portalName) {
    return portalSql.get(portalName);
  }

  public String lastSimpleQuery() {
    return lastSimpleQuery;
  }

  /** Client to server: Query, Parse, Bind, Close. */
  void onFrontend(byte type, ByteBuf payload) {
    switch (type) {
      case 'Q' -> {
        lastSimpleQuery = cString(payload, payload.readerIndex());
        // A simple Query runs in the unnamed portal and replaces the unnamed statement.
        statementSql.remove("");
        portalSql.remove("");
      }
      case 'P' -> {
        int at = payload.readerIndex();
        String name = cString(payload, at);
        String sql = cString(payload, at + utf8Length(payload, at) + 1);
        statementSql.put(name, sql);
      }
      case 'B' -> {
        int at = payload.readerIndex();
        String portal = cString(payload, at);
        String statement = cString(payload, at + utf8Length(payload, at) + 1);
        String sql = statementSql.get(statement);
        portalSql.put(portal, sql == null ? "" : sql);
      }
      case 'C' -> {
        int at = payload.readerIndex();
        if (payload.readableBytes() < 2) {
          return;
        }
        byte target = payload.getByte(at);
        String name = cString(payload, at + 1);
        if (target == 'S') {
          statementSql.remove(name);
        } else {
          portalSql.remove(name);
        }
      }
      default -> { }
    }
  }

  /** Server to client: ReadyForQuery; returns the new status. */
  TransactionStatus onReadyForQuery(byte statusCode) {
    TransactionStatus next = TransactionStatus.fromCode(statusCode);
    if (next == null) {
      throw new io.pgmm.protocol.ProtocolViolation("invalid transaction status '" + (char) statusCode + "' in ReadyForQuery");
    }
    status = next;
    if (next == TransactionStatus.IDLE) {
      // PostgreSQL drops every portal at the end of a transaction.
      portalSql.clear();
    }
    return next;
  }

  /** The NUL-terminated string at {@code index}; the relayed message was already size-checked. */
  static String cString(ByteBuf buf, int index) {
    int len = utf8Length(buf, index);
    return buf.toString(index, len, StandardCharsets.UTF_8);
  }

  private static int utf8Length(ByteBuf buf, int index) {
    int nul = buf.indexOf(index, buf.writerIndex(), (byte) 0);
    if (nul < 0) {
      throw new io.pgmm.protocol.ProtocolViolation("string without terminator in client message");
    }
    return nul - index;
  }
}
