package io.pgmm.it.transcript;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A raw PostgreSQL v3 protocol client over a blocking socket, for tests that must see (or
 * send) exact messages.
 *
 * <p>Deliberately independent of {@code io.pgmm.protocol}: the golden transcripts and the session
 * tests judge the sidecar (which is built on that module) against PostgreSQL, so the oracle must
 * not share its codec. It frames and keeps bodies as bytes; {@link MessageRenderer} reads them.
 */
public final class PgWireClient implements AutoCloseable {

  /** StartupMessage protocol version 3.0. */
  public static final int PROTOCOL_3_0 = 196608;
  public static final int SSL_REQUEST_CODE = 80877103;
  public static final int CANCEL_REQUEST_CODE = 80877102;
  /** Longest message body this client accepts whole; longer DataRows must be skipped. */
  private static final int MAX_WHOLE_BODY_BYTES = 64 * 1024 * 1024;

  /** One backend message: its type byte and its body (after the length word). */
  public record Message(char type, byte[] body) {

    public String typeName() {
      return MessageRenderer.backendTypeName(type);
    }

    public boolean isError() {
      return type == 'E';
    }

    /** ErrorResponse / NoticeResponse fields by code; empty for other messages. */
    public Map<Character, String> fields() {
      Map<Character, String> fields = new LinkedHashMap<>();
      if (type != 'E' && type != 'N') {
        return fields;
      }
      int pos = 0;
      while (pos < body.length && body[pos] != 0) {
        char code = (char) body[pos++];
        int end = pos;
        while (body[end] != 0) {
          end++;
        }
        fields.put(code, new String(body, pos, end - pos, StandardCharsets.UTF_8));
        pos = end + 1;
      }
      return fields;
    }

    public String sqlState() {
      return fields().get('C');
    }

    /** The non-localised severity (V), else the localised one (S). */
    public String severity() {
      Map<Character, String> f = fields();
      return f.getOrDefault('V', f.get('S'));
    }

    public String errorMessage() {
      return fields().get('M');
    }

    @Override
    public String toString() {
      return MessageRenderer.render(this, -1);
    }
  }

  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;
  private int processId;
  private int secretKey;

  private PgWireClient(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 64 * 1024));
    this.out = socket.getOutputStream();
  }

  /** Connects to 127.0.0.1:{@code port}; reads time out after 15 s so a test never hangs. */
  public static PgWireClient open(int port) throws IOException {
    Socket s = new Socket();
    s.setTcpNoDelay(true);
    s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
    s.setSoTimeout(15_000);
    return new PgWireClient(s);
  }

  /** Opens a connection and completes startup (trust auth); fails unless it ends in ReadyForQuery. */
  public static PgWireClient connect(int port, String user, String database, String applicationName) throws IOException {
    PgWireClient c = open(port);
    try {
      List<Message> startup = c.startup(user, database, applicationName);
      Message last = startup.get(startup.size() - 1);
      if (last.type() != 'Z') {
        throw new IllegalStateException("startup did not reach ReadyForQuery: " + startup);
      }
      return c;
    } catch (IOException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  public Socket socket() {
    return socket;
  }

  /** The process id of the BackendKeyData this connection received (0 before). */
  public int processId() {
    return processId;
  }

  public int secretKey() {
    return secretKey;
  }

  public void readTimeout(Duration timeout) throws SocketException {
    socket.setSoTimeout((int) timeout.toMillis());
  }

  // ---- sending ------------------------------------------------------------------------------

  /** Sends a StartupMessage and reads until ReadyForQuery or an ErrorResponse (inclusive). */
  public List<Message> startup(String user, String database, String applicationName) throws IOException {
    Map<String, String> params = new LinkedHashMap<>();
    params.put("user", user);
    params.put("database", database);
    if (applicationName != null) {
      params.put("application_name", applicationName);
    }
    sendRaw(startupMessage(params));
    return readUntil('Z', 'E');
  }

  public static byte[] startupMessage(Map<String, String> params) {
    Body b = new Body().int32(PROTOCOL_3_0);
    params.forEach((k, v) -> b.cstring(k).cstring(v));
    b.int8(0);
    return b.startupPacket();
  }

  public static byte[] sslRequest() {
    return new Body().int32(SSL_REQUEST_CODE).startupPacket();
  }

  public static byte[] cancelRequest(int processId, int secretKey) {
    return new Body().int32(CANCEL_REQUEST_CODE).int32(processId).int32(secretKey).startupPacket();
  }

  /** Sends one typed message. */
  public void send(char type, byte[] body) throws IOException {
    sendRaw(typed(type, body));
  }

  public void sendQuery(String sql) throws IOException {
    send('Q', new Body().cstring(sql).bytes());
  }

  public void sendRaw(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  public static byte[] typed(char type, byte[] body) {
    ByteBuffer b = ByteBuffer.allocate(5 + body.length);
    b.put((byte) type).putInt(4 + body.length).put(body);
    return b.array();
  }

  /**
   * Sends a CancelRequest on a fresh connection to {@code port} and waits until the server
   * closes that connection, as PostgreSQL does once it has handled the request.
   */
  public static void cancel(int port, int processId, int secretKey) throws IOException {
    try (PgWireClient c = open(port)) {
      c.sendRaw(cancelRequest(processId, secretKey));
      List<Message> answer = c.readUntilClosed();
      if (!answer.isEmpty()) {
        throw new IllegalStateException("a CancelRequest got an answer: " + answer);
      }
    }
  }

  // ---- receiving ----------------------------------------------------------------------------

  /** Reads one message; null when the server closed the connection (EOF or reset). */
  public Message read() throws IOException {
    int type;
    try {
      type = in.read();
    } catch (SocketException e) {
      return null; // reset by peer: closed
    }
    if (type < 0) {
      return null;
    }
    int length = in.readInt();
    if (length < 4 || length - 4 > MAX_WHOLE_BODY_BYTES) {
      throw new IllegalStateException("message '" + (char) type + "' with length " + length);
    }
    byte[] body = new byte[length - 4];
    in.readFully(body);
    Message m = new Message((char) type, body);
    if (m.type() == 'K' && body.length == 8) {
      ByteBuffer b = ByteBuffer.wrap(body);
      processId = b.getInt();
      secretKey = b.getInt();
    }
    return m;
  }

  /** Reads one byte, as the answer to an SSLRequest; -1 on close. */
  public int readByte() throws IOException {
    try {
      return in.read();
    } catch (SocketException e) {
      return -1;
    }
  }

  /**
   * Reads messages until one of {@code types} arrives (inclusive). Fails on EOF or timeout,
   * showing what did arrive.
   */
  public List<Message> readUntil(char... types) throws IOException {
    List<Message> got = new ArrayList<>();
    while (true) {
      Message m;
      try {
        m = read();
      } catch (SocketTimeoutException e) {
        throw new AssertionError("timed out waiting for " + new String(types) + "; received " + got, e);
      }
      if (m == null) {
        throw new AssertionError("connection closed while waiting for " + new String(types) + "; received " + got);
      }
      got.add(m);
      for (char t : types) {
        if (m.type() == t) {
          return got;
        }
      }
    }
  }

  /** Reads every message until the server closes the connection; fails on timeout. */
  public List<Message> readUntilClosed() throws IOException {
    List<Message> got = new ArrayList<>();
    while (true) {
      Message m;
      try {
        m = read();
      } catch (SocketTimeoutException e) {
        throw new AssertionError("connection still open; received " + got, e);
      } catch (EOFException e) {
        return got; // closed in the middle of a message
      }
      if (m == null) {
        return got;
      }
      got.add(m);
    }
  }

  /** Whether bytes are waiting to be read (a message arrived but was not read yet). */
  public boolean hasPendingInput() throws IOException {
    return in.available() > 0;
  }

  /**
   * Reads a result set of any size without keeping it: counts DataRows and their value bytes
   * until ReadyForQuery. Returns {rows, valueBytes}; other messages go to {@code others}.
   */
  public long[] drainRowsUntilReady(List<Message> others) throws IOException {
    long rows = 0;
    long valueBytes = 0;
    byte[] skip = new byte[64 * 1024];
    while (true) {
      int type = in.read();
      if (type < 0) {
        throw new AssertionError("closed after " + rows + " rows; others " + others);
      }
      int length = in.readInt();
      if (type == 'D') {
        int columns = in.readUnsignedShort();
        for (int i = 0; i < columns; i++) {
          int len = in.readInt();
          if (len > 0) {
            valueBytes += len;
            int left = len;
            while (left > 0) {
              int n = Math.min(left, skip.length);
              in.readFully(skip, 0, n);
              left -= n;
            }
          }
        }
        rows++;
      } else {
        byte[] body = new byte[length - 4];
        in.readFully(body);
        Message m = new Message((char) type, body);
        others.add(m);
        if (type == 'Z') {
          return new long[] {rows, valueBytes};
        }
      }
    }
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      // closing a test socket: nothing to do
    }
  }

  /** Closes with a TCP reset instead of FIN: the abrupt way a crashed client goes. */
  public void abort() {
    try {
      socket.setSoLinger(true, 0);
    } catch (SocketException e) {
      // already closed
    }
    close();
  }

  /** Builds a message body in wire order. */
  public static final class Body {
    private final ByteArrayOutputStream buf = new ByteArrayOutputStream();

    public Body int8(int v) {
      buf.write(v);
      return this;
    }

    public Body int16(int v) {
      buf.write(v >>> 8);
      buf.write(v);
      return this;
    }

    public Body int32(int v) {
      buf.write(v >>> 24);
      buf.write(v >>> 16);
      buf.write(v >>> 8);
      buf.write(v);
      return this;
    }

    public Body cstring(String s) {
      buf.writeBytes(s.getBytes(StandardCharsets.UTF_8));
      buf.write(0);
      return this;
    }

    public Body raw(byte[] bytes) {
      buf.writeBytes(bytes);
      return this;
    }

    /** Int32 length and the bytes, or -1 for null. */
    public Body value(byte[] bytes) {
      if (bytes == null) {
        return int32(-1);
      }
      int32(bytes.length);
      return raw(bytes);
    }

    public byte[] bytes() {
      return buf.toByteArray();
    }

    /** The body with its int32 length (itself included) in front: a startup-phase packet. */
    public byte[] startupPacket() {
      byte[] body = bytes();
      return ByteBuffer.allocate(4 + body.length).putInt(4 + body.length).put(body).array();
    }
  }
}
