package io.pgmm.server.session;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * What a client sent up to a point where PostgreSQL answers with ReadyForQuery: one Query, one
 * FunctionCall, or extended-protocol messages up to and including a Sync. The session decides
 * about a unit as a whole (forward it, wrap it in a transaction of its own, commit), so it holds
 * the unit's messages until it is complete.
 */
final class ClientUnit {

  enum Kind { QUERY, FUNCTION_CALL, EXTENDED, TERMINATE }

  final Kind kind;
  /** Whole messages, header included, in arrival order; the unit owns them until written or released. */
  final List<ByteBuf> messages = new ArrayList<>();
  /** The SQL of the simple Query, or of each Execute's portal, in order. */
  final List<String> sql = new ArrayList<>();
  /** For EXTENDED: index in {@link #messages} of each Execute, parallel to {@link #sql}. */
  final List<Integer> executeIndexes = new ArrayList<>();
  boolean complete;

  ClientUnit(Kind kind) {
    this.kind = kind;
  }

  void add(ByteBuf message) {
    messages.add(message);
  }

  void addExecute(ByteBuf message, String portalSql) {
    executeIndexes.add(messages.size());
    messages.add(message);
    sql.add(portalSql == null ? "" : portalSql);
  }

  int bytes() {
    int n = 0;
    for (ByteBuf m : messages) {
      n += m.readableBytes();
    }
    return n;
  }

  void release() {
    messages.forEach(ByteBuf::release);
    messages.clear();
  }
}
