package io.pgmm.protocol;

import java.util.EnumMap;
import java.util.Map;

/** ErrorResponse 'E': a statement failed (ERROR) or the session ends (FATAL, PANIC). See {@link DiagnosticMessage} for the layout. */
public record ErrorResponse(Map<ErrorField, String> fields) implements DiagnosticMessage {

  public ErrorResponse {
    fields = DiagnosticFields.copyFields(fields);
  }

  /** Severity ('S' and the non-localized 'V'), SQLSTATE ('C') and message ('M'). */
  public static ErrorResponse of(String severity, String sqlState, String message) {
    return new ErrorResponse(DiagnosticFields.basicFields(severity, sqlState, message));
  }

  @Override
  public BackendType backendType() {
    return BackendType.ERROR_RESPONSE;
  }

  static ErrorResponse decode(PayloadReader r) {
    Map<ErrorField, String> fields = new EnumMap<>(ErrorField.class);
    while (!r.terminator("field list")) {
      ErrorField field = ErrorField.fromCode(r.int8("field code"));
      String value = r.cstring("field value");
      if (field != null) {
        fields.put(field, value);
      }
    }
    return new ErrorResponse(fields);
  }
}
