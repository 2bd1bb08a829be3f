package io.pgmm.protocol;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/** Construction helpers shared by ErrorResponse and NoticeResponse. */
final class DiagnosticFields {

  private DiagnosticFields() {}

  /** The unmodifiable, checked copy both records keep. */
  static Map<ErrorField, String> copyFields(Map<ErrorField, String> fields) {
    Objects.requireNonNull(fields, "fields");
    EnumMap<ErrorField, String> copy = new EnumMap<>(ErrorField.class);
    fields.forEach((field, value) -> copy.put(Objects.requireNonNull(field, "field"), Wire.cstring(value, "value of " + field)));
    return Collections.unmodifiableMap(copy);
  }

  /** Severity twice (S and V: ours are never localized), SQLSTATE and message. */
  static Map<ErrorField, String> basicFields(String severity, String sqlState, String message) {
    EnumMap<ErrorField, String> fields = new EnumMap<>(ErrorField.class);
    fields.put(ErrorField.SEVERITY, severity);
    fields.put(ErrorField.SEVERITY_NON_LOCALIZED, severity);
    fields.put(ErrorField.SQLSTATE, sqlState);
    fields.put(ErrorField.MESSAGE, message);
    return fields;
  }
}
