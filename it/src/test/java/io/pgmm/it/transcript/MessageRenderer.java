package io.pgmm.it.transcript;

import io.pgmm.it.transcript.PgWireClient.Message;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Renders a backend message as one canonical text line: its type name and its fields, with the
 * values that legitimately differ from run to run replaced by a stable word.
 *
 * <ul>
 *   <li>BackendKeyData: no values.
 *   <li>NotificationResponse: the sender's process id becomes {@code self} when it is the id this
 *       connection got in BackendKeyData (what libpq's {@code PQbackendPID} returns), else
 *       {@code other}.
 *   <li>ErrorResponse / NoticeResponse: the source file, line and routine fields are dropped
 *       (they name PostgreSQL's C code and change between minor versions).
 *   <li>RowDescription: a column's table oid becomes {@code table} when not 0.
 * </ul>
 */
public final class MessageRenderer {

  /** Error fields that point into PostgreSQL's sources. */
  private static final Set<Character> SOURCE_FIELDS = Set.of('F', 'L', 'R');

  private MessageRenderer() {}

  public static String backendTypeName(char type) {
    return switch (type) {
      case 'R' -> "Authentication";
      case 'K' -> "BackendKeyData";
      case '2' -> "BindComplete";
      case '3' -> "CloseComplete";
      case 'C' -> "CommandComplete";
      case 'd' -> "CopyData";
      case 'c' -> "CopyDone";
      case 'G' -> "CopyInResponse";
      case 'H' -> "CopyOutResponse";
      case 'W' -> "CopyBothResponse";
      case 'D' -> "DataRow";
      case 'I' -> "EmptyQueryResponse";
      case 'E' -> "ErrorResponse";
      case 'V' -> "FunctionCallResponse";
      case 'v' -> "NegotiateProtocolVersion";
      case 'n' -> "NoData";
      case 'N' -> "NoticeResponse";
      case 'A' -> "NotificationResponse";
      case 't' -> "ParameterDescription";
      case 'S' -> "ParameterStatus";
      case '1' -> "ParseComplete";
      case 's' -> "PortalSuspended";
      case 'Z' -> "ReadyForQuery";
      case 'T' -> "RowDescription";
      default -> "Unknown(" + type + ")";
    };
  }

  /** The backend type byte for a name used in a transcript's {@code until}. */
  public static char backendType(String name) {
    for (char c : "RK23CdcGHWDIEVvnNAtS1sZT".toCharArray()) {
      if (backendTypeName(c).equals(name)) {
        return c;
      }
    }
    throw new IllegalArgumentException("unknown backend message " + name);
  }

  public static String render(Message m, int selfProcessId) {
    Reader r = new Reader(m.body());
    String name = m.typeName();
    return switch (m.type()) {
      case 'K' -> name;
      case 'C' -> name + " " + quote(r.cstring());
      case 'Z' -> name + " " + (char) r.int8();
      case 'S' -> name + " " + r.cstring() + "=" + quote(r.cstring());
      case 'E', 'N' -> name + " " + errorFields(m.fields());
      case 'D' -> name + " " + values(r);
      case 'V' -> name + " " + value(r, r.int32());
      case 'd' -> name + " " + quote(new String(m.body(), StandardCharsets.UTF_8));
      case 'T' -> name + " " + rowDescription(r);
      case 't' -> {
        int n = r.int16();
        List<String> oids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          oids.add(Integer.toUnsignedString(r.int32()));
        }
        yield name + " " + oids;
      }
      case 'G', 'H', 'W' -> {
        int format = r.int8();
        int n = r.int16();
        List<Integer> formats = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          formats.add(r.int16());
        }
        yield name + " format=" + format + " columns=" + formats;
      }
      case 'A' -> {
        int pid = r.int32();
        String channel = r.cstring();
        String payload = r.cstring();
        yield name + " pid=" + (pid == selfProcessId ? "self" : "other") + " channel=" + quote(channel)
            + " payload=" + quote(payload);
      }
      case 'R' -> name + " " + r.int32();
      default -> m.body().length == 0 ? name : name + " " + hex(m.body());
    };
  }

  private static String errorFields(Map<Character, String> fields) {
    StringBuilder sb = new StringBuilder();
    fields.forEach((code, value) -> {
      if (!SOURCE_FIELDS.contains(code)) {
        if (sb.length() > 0) {
          sb.append(' ');
        }
        sb.append(code).append('=').append(quote(value));
      }
    });
    return sb.toString();
  }

  private static String rowDescription(Reader r) {
    int n = r.int16();
    List<String> cols = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String col = r.cstring();
      int table = r.int32();
      int attnum = r.int16();
      int typeOid = r.int32();
      int typlen = (short) r.int16();
      int typmod = r.int32();
      int format = r.int16();
      cols.add(quote(col) + "(table=" + (table == 0 ? "0" : "table") + " attnum=" + attnum + " type="
          + Integer.toUnsignedString(typeOid) + " len=" + typlen + " typmod=" + typmod + " format=" + format + ")");
    }
    return cols.toString();
  }

  private static String values(Reader r) {
    int n = r.int16();
    List<String> vals = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      vals.add(value(r, r.int32()));
    }
    return vals.toString();
  }

  private static String value(Reader r, int len) {
    if (len < 0) {
      return "NULL";
    }
    byte[] b = r.bytes(len);
    String s = new String(b, StandardCharsets.UTF_8);
    boolean printable = s.chars().allMatch(c -> c >= 0x20 && c != 0x7f || c == '\t' || c == '\n');
    return printable ? quote(s) : "0x" + hex(b);
  }

  /** Double-quoted with backslash escapes for quotes, backslashes, tabs and newlines. */
  static String quote(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\t' -> sb.append("\\t");
        case '\r' -> sb.append("\\r");
        default -> sb.append(c);
      }
    }
    return sb.append('"').toString();
  }

  private static String hex(byte[] b) {
    StringBuilder sb = new StringBuilder();
    for (byte x : b) {
      sb.append(String.format("%02x", x));
    }
    return sb.toString();
  }

  private static final class Reader {
    private final ByteBuffer b;

    Reader(byte[] body) {
      this.b = ByteBuffer.wrap(body);
    }

    int int8() {
      return b.get() & 0xff;
    }

    int int16() {
      return b.getShort() & 0xffff;
    }

    int int32() {
      return b.getInt();
    }

    byte[] bytes(int n) {
      byte[] out = new byte[n];
      b.get(out);
      return out;
    }

    String cstring() {
      int start = b.position();
      int end = start;
      while (b.get(end) != 0) {
        end++;
      }
      String s = new String(b.array(), start, end - start, StandardCharsets.UTF_8);
      b.position(end + 1);
      return s;
    }
  }
}
