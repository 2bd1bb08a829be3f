package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;
import java.util.Objects;

/** ReadyForQuery 'Z': one status byte; the server waits for the next query. */
public record ReadyForQuery(TransactionStatus status) implements BackendMessage {

  public static final ReadyForQuery IDLE = new ReadyForQuery(TransactionStatus.IDLE);
  public static final ReadyForQuery IN_TRANSACTION = new ReadyForQuery(TransactionStatus.IN_TRANSACTION);
  public static final ReadyForQuery FAILED = new ReadyForQuery(TransactionStatus.FAILED);

  public ReadyForQuery {
    Objects.requireNonNull(status, "status");
  }

  @Override
  public BackendType backendType() {
    return BackendType.READY_FOR_QUERY;
  }

  @Override
  public void writeBody(ByteBuf out) {
    out.writeByte(status.code());
  }

  static ReadyForQuery decode(PayloadReader r) {
    byte code = r.int8("transaction status");
    TransactionStatus status = TransactionStatus.fromCode(code);
    if (status == null) {
      throw r.violation("invalid transaction status " + Wire.typeByte(code));
    }
    return new ReadyForQuery(status);
  }
}
