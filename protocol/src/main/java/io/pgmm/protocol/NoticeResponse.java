package io.pgmm.protocol;

import java.util.EnumMap;
import java.util.Map;

/** NoticeResponse 'N': a warning or notice; the command goes on. See {@link DiagnosticMessage} for the layout. */
public record NoticeResponse(Map<ErrorField, String> fields) implements DiagnosticMessage {

  public NoticeResponse {
    fields = DiagnosticFields.copyFields(fields);
  }

  /** Severity ('S' and the non-localized 'V'), SQLSTATE ('C') and message ('M'). */
  public static NoticeResponse of(String severity, String sqlState, String message) {
    return new NoticeResponse(DiagnosticFields.basicFields(severity, sqlState, message));
  }

  @Override
  public BackendType backendType() {
    return BackendType.NOTICE_RESPONSE;
  }

  static NoticeResponse decode(PayloadReader r) {
    Map<ErrorField, String> fields = new EnumMap<>(ErrorField.class);
    while (!r.terminator("field list")) {
      ErrorField field = ErrorField.fromCode(r.int8("field code"));
      String value = r.cstring("field value");
      if (field != null) {
        fields.put(field, value);
      }
    }
    return new NoticeResponse(fields);
  }
}
