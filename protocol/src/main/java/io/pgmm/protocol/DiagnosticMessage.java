package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;
import java.util.Map;

/**
 * ErrorResponse 'E' and NoticeResponse 'N': a list of (field code byte, C-string value), ended by
 * a NUL. Fields with codes this version does not know are skipped when decoding, as the protocol
 * asks of clients; the encoder writes fields in {@link ErrorField} order.
 */
public sealed interface DiagnosticMessage extends BackendMessage permits ErrorResponse, NoticeResponse {

  /** Unmodifiable, in {@link ErrorField} order. */
  Map<ErrorField, String> fields();

  /** 'S', possibly localized; {@code null} if absent. */
  default String severity() {
    return fields().get(ErrorField.SEVERITY);
  }

  /** 'C'; {@code null} if absent. */
  default String sqlState() {
    return fields().get(ErrorField.SQLSTATE);
  }

  /** 'M'; {@code null} if absent. */
  default String message() {
    return fields().get(ErrorField.MESSAGE);
  }

  /** Any field; {@code null} if absent. */
  default String field(ErrorField field) {
    return fields().get(field);
  }

  @Override
  default void writeBody(ByteBuf out) {
    fields().forEach((field, value) -> {
      out.writeByte(field.code());
      Wire.writeCString(out, value);
    });
    out.writeByte(0);
  }
}
