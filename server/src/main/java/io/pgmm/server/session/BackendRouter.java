package io.pgmm.server.session;

import io.netty.buffer.ByteBuf;
import io.pgmm.protocol.BackendDecoder;
import io.pgmm.protocol.BackendMessage;
import io.pgmm.protocol.CommandComplete;
import io.pgmm.protocol.BackendEncoder;
import io.pgmm.protocol.DataRow;
import io.pgmm.protocol.ErrorField;
import java.util.EnumMap;
import java.util.Map;
import io.pgmm.protocol.ErrorResponse;
import io.pgmm.protocol.MessageFramer;
import io.pgmm.protocol.TransactionStatus;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Says whose each of PostgreSQL's answers is, when the session mixes queries of its own (BEGIN,
 * PREPARE TRANSACTION, ...) into the client's stream. Every unit sent to PostgreSQL ends with
 * exactly one ReadyForQuery (a Query, a Sync, a FunctionCall), so one queue entry per unit, in
 * sending order, routes everything: to the client, to the client but for the closing
 * ReadyForQuery (the session continues the transaction itself), or to the sidecar alone.
 *
 * <p>Continuations run after the read that completed them has been relayed, never in the middle
 * of it, so anything they write to the client comes after what PostgreSQL said before.
 */
final class BackendRouter implements RelayScanner.Inspector {

  /** The end of one unit: the backend's transaction status and whether the unit raised an error. */
  record UnitEnd(TransactionStatus status, ErrorResponse error) {}

  /** What the sidecar's own query returned. */
  record QueryResult(List<String> firstColumn, String commandTag, ErrorResponse error) {
    boolean failed() {
      return error != null;
    }
  }

  private sealed interface Pending permits ToClient, ToClientThen, ToSidecar {}

  private record ToClient() implements Pending {}

  private static final class ToClientThen implements Pending {
    final Consumer<UnitEnd> then;
    /** Added to an error's position: the unit runs one statement cut out of a longer query string. */
    final int positionOffset;
    ErrorResponse error;

    ToClientThen(Consumer<UnitEnd> then, int positionOffset) {
      this.then = then;
      this.positionOffset = positionOffset;
    }
  }

  private static final class ToSidecar implements Pending {
    final Consumer<QueryResult> then;
    final boolean woundsOnError;
    final List<String> firstColumn = new ArrayList<>();
    String commandTag;
    ErrorResponse error;

    ToSidecar(Consumer<QueryResult> then, boolean woundsOnError) {
      this.then = then;
      this.woundsOnError = woundsOnError;
    }
  }

  private static final ToClient TO_CLIENT = new ToClient();
  private static final long WOUND_ARMED_NANOS = 1_000_000_000L;

  private final TransactionTracker tracker;
  private final Consumer<ErrorResponse> errorObserver;
  private final ArrayDeque<Pending> pending = new ArrayDeque<>();
  private final List<Runnable> deferred = new ArrayList<>();
  private final List<ByteBuf> held = new ArrayList<>();
  private final Consumer<ByteBuf> toClient;
  private Runnable whenIdle;
  /** Conflict resolution is cancelling this backend's statement: the client hears this instead of 57014. */
  private ErrorResponse wound;
  private int woundsArmed;
  private long woundUntilNanos;
  private ErrorResponse blockWound;

  /** @param toClient writes to the client; used for errors the router rewrites */
  BackendRouter(TransactionTracker tracker, Consumer<ErrorResponse> errorObserver, Consumer<ByteBuf> toClient) {
    this.tracker = tracker;
    this.errorObserver = errorObserver;
    this.toClient = toClient;
  }

  /**
   * The next query cancel (57014) within a second reaches the client as {@code error}: the
   * transaction was aborted for an older one that changed the same rows, and a retry will do. A
   * second, not until the transaction ends: the cancel may arrive after this transaction ended and
   * abort the next one, which must then be retried too.
   */
  void armWound(ErrorResponse error) {
    wound = error;
    woundsArmed++;
    woundUntilNanos = System.nanoTime() + WOUND_ARMED_NANOS;
  }

  /**
   * The sidecar failed the client's idle block for an older transaction: until the block ends,
   * the first 25P02 ("current transaction is aborted") the client would get is {@code error}.
   */
  void woundBlock(ErrorResponse error) {
    blockWound = error;
  }

  /** The error of {@link #woundBlock} while its block lasts and the client has not heard it; else null. */
  ErrorResponse blockWound() {
    return blockWound;
  }

  void expectForClient() {
    pending.add(TO_CLIENT);
  }

  void expectForClientThen(Consumer<UnitEnd> then) {
    expectForClientThen(then, 0);
  }

  void expectForClientThen(Consumer<UnitEnd> then, int positionOffset) {
    pending.add(new ToClientThen(then, positionOffset));
  }

  /**
   * Notifications and parameter changes that arrived while the sidecar was running the client's
   * transaction itself; PostgreSQL sends them just before ReadyForQuery, so the session does too.
   */
  void releaseHeld(Consumer<ByteBuf> sink) {
    held.forEach(sink);
    held.clear();
  }

  void expectForSidecar(Consumer<QueryResult> then) {
    pending.add(new ToSidecar(then, false));
  }

  /**
   * A query of the sidecar's whose error, if any, fails the client's block with that error: the
   * client hears it in place of the 25P02 of its next statement (see {@link #woundBlock}), which
   * may already be in the same read, so the wound is set as the error arrives.
   */
  void expectForSidecarWoundingBlock() {
    pending.add(new ToSidecar(r -> { }, true));
  }

  boolean idle() {
    return pending.isEmpty();
  }

  /** Runs {@code action} once every unit sent so far has been answered (at once if none is open). */
  void whenIdle(Runnable action) {
    if (pending.isEmpty()) {
      action.run();
    } else {
      if (whenIdle != null) {
        throw new IllegalStateException("a wait for an idle backend is already pending");
      }
      whenIdle = action;
    }
  }

  @Override
  public boolean wantsWhole(byte type) {
    Pending head = pending.peek();
    return type == 'Z' || type == 'E' || head instanceof ToSidecar
        || (head instanceof ToClientThen && (type == 'A' || type == 'S'));
  }

  @Override
  public boolean inspect(byte type, ByteBuf message) {
    ByteBuf payload = message.slice(message.readerIndex() + MessageFramer.HEADER_BYTES,
        message.readableBytes() - MessageFramer.HEADER_BYTES);
    ErrorResponse error = null;
    boolean rewritten = false;
    if (type == 'E') {
      error = (ErrorResponse) BackendDecoder.decode(type, payload);
      if (woundsArmed > 0 && "57014".equals(error.sqlState())) {
        rewritten = System.nanoTime() - woundUntilNanos < 0;
        error = rewritten ? wound : error;
        woundsArmed = rewritten ? woundsArmed - 1 : 0;
      } else if (blockWound != null && "25P02".equals(error.sqlState()) && !(pending.peek() instanceof ToSidecar)) {
        rewritten = true;
        error = blockWound;
        blockWound = null;
      }
      errorObserver.accept(error);
    }
    Pending head = pending.peek();
    if (head == null) {
      return true; // asynchronous: a notice, a notification, a parameter change, a FATAL error
    }
    if (type == 'Z') {
      TransactionStatus status = tracker.onReadyForQuery(payload.getByte(payload.readerIndex()));
      if (status == TransactionStatus.IDLE) {
        blockWound = null;
      }
      pending.poll();
      if (head instanceof ToClientThen t) {
        UnitEnd end = new UnitEnd(status, t.error);
        deferred.add(() -> t.then.accept(end));
      } else if (head instanceof ToSidecar s) {
        QueryResult result = new QueryResult(List.copyOf(s.firstColumn), s.commandTag, s.error);
        deferred.add(() -> s.then.accept(result));
      }
      if (pending.isEmpty() && whenIdle != null) {
        Runnable action = whenIdle;
        whenIdle = null;
        deferred.add(action);
      }
      return head instanceof ToClient;
    }
    if ((type == 'A' || type == 'S') && !(head instanceof ToClient)) {
      // The client's, whoever asked; held for the ReadyForQuery the session will send.
      held.add(message.retainedDuplicate());
      return false;
    }
    if (head instanceof ToSidecar s) {
      collect(s, type, payload, error);
      if (error != null && s.woundsOnError) {
        blockWound = error;
      }
      return false;
    }
    if (head instanceof ToClientThen t && error != null && t.error == null) {
      t.error = error;
    }
    if (rewritten) {
      ByteBuf out = io.netty.buffer.Unpooled.buffer();
      BackendEncoder.encode(error, out);
      toClient.accept(out);
      return false;
    }
    if (head instanceof ToClientThen t && error != null) {
      String position = error.fields().get(ErrorField.POSITION);
      if (t.positionOffset > 0 && position != null) {
        Map<ErrorField, String> fields = new EnumMap<>(error.fields());
        fields.put(ErrorField.POSITION, Integer.toString(Integer.parseInt(position) + t.positionOffset));
        ByteBuf out = io.netty.buffer.Unpooled.buffer();
        BackendEncoder.encode(new ErrorResponse(fields), out);
        toClient.accept(out);
        return false;
      }
    }
    return true;
  }

  private static void collect(ToSidecar s, byte type, ByteBuf payload, ErrorResponse error) {
    switch (type) {
      case 'E' -> s.error = error;
      case 'D' -> {
        DataRow row = (DataRow) BackendDecoder.decode(type, payload);
        byte[] first = row.values().length == 0 ? null : row.values()[0];
        s.firstColumn.add(first == null ? null : new String(first, StandardCharsets.UTF_8));
      }
      case 'C' -> {
        BackendMessage m = BackendDecoder.decode(type, payload);
        s.commandTag = ((CommandComplete) m).tag();
      }
      default -> { }
    }
  }

  void release() {
    held.forEach(ByteBuf::release);
    held.clear();
  }

  /** Runs the continuations completed by the last read, in order. */
  void runDeferred() {
    while (!deferred.isEmpty()) {
      List<Runnable> batch = List.copyOf(deferred);
      deferred.clear();
      batch.forEach(Runnable::run);
    }
  }
}
