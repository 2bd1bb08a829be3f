package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;
import java.util.Objects;

/**
 * Turns frames from a client into {@link FrontendMessage}s. Reads the payload's readable bytes
 * without moving its indices or releasing it. Every failure is a {@link ProtocolViolation}: a
 * string without terminator, a length below -1 (or -1 where NULL is not allowed), a count or
 * length beyond the bytes left, bytes left after the last field, an unknown type or code.
 *
 * <p>Which decode applies is the session's business; the flows it follows:
 *
 * <pre>
 * startup (one connection; [ ] optional)
 *   client                                        server
 *     [SSLRequest / GSSENCRequest] --------------->
 *     <------------------------ 'S' | 'G' | 'N'    (one byte: {@link EncryptionResponse})
 *     [=========== TLS / GSS handshake ==========]
 *     StartupMessage(user, database, ...) -------->       decodeStartup
 *     <----------- Authentication{Sasl|Md5Password|CleartextPassword|Gss|...}
 *     'p' (kind from the request above) ---------->       decode(type, payload, PasswordKind)
 *     <----------- AuthenticationSaslContinue / GssContinue ...   (repeat)
 *     <----------- AuthenticationSaslFinal, AuthenticationOk
 *     <----------- [NegotiateProtocolVersion] ParameterStatus* BackendKeyData
 *     <----------- ReadyForQuery('I')
 *   or, on a fresh connection: CancelRequest(processId, secretKey) ---> (connection closed)
 *
 * extended query (nothing is answered until Sync or Flush)
 *     Parse(stmt, sql, oids) --------------------->
 *     Bind(portal, stmt, values) ----------------->
 *     Describe(PORTAL, portal) ------------------->
 *     Execute(portal, maxRows) ------------------->
 *     Sync --------------------------------------->
 *     <-- ParseComplete, BindComplete, RowDescription | NoData,
 *         DataRow*, CommandComplete | PortalSuspended | EmptyQueryResponse,
 *         ReadyForQuery(status)
 *   after an ErrorResponse the server discards every message up to Sync, then sends ReadyForQuery.
 *
 * simple query
 *     Query(sql) --------------------------------->
 *     <-- per statement: [RowDescription DataRow*] CommandComplete | EmptyQueryResponse | ErrorResponse
 *         (COPY: CopyIn/Out/BothResponse, CopyData*, CopyDone | CopyFail)
 *     <-- ReadyForQuery(status)
 * </pre>
 */
public final class FrontendDecoder {

  private FrontendDecoder() {}

  /**
   * Decodes the payload of a startup frame (as cut by {@link MessageFramer#nextStartupFrame}): the
   * int32 code, then the packet's fields. Protocol 3.x is accepted with any minor version.
   */
  public static StartupPacket decodeStartup(ByteBuf payload) {
    Objects.requireNonNull(payload, "payload");
    PayloadReader r = new PayloadReader(payload, "startup packet");
    int code = r.int32("protocol version");
    StartupPacket packet;
    if (code == SslRequest.CODE) {
      r.messageName("SSLRequest");
      packet = SslRequest.INSTANCE;
    } else if (code == GssEncRequest.CODE) {
      r.messageName("GSSENCRequest");
      packet = GssEncRequest.INSTANCE;
    } else if (code == CancelRequest.CODE) {
      r.messageName("CancelRequest");
      packet = CancelRequest.decode(r);
    } else if (code >>> 16 == 3) {
      r.messageName("StartupMessage");
      packet = StartupMessage.decode(code, r);
    } else {
      throw ProtocolViolation.unsupportedVersion(code >>> 16, code & 0xFFFF);
    }
    r.end();
    return packet;
  }

  /** Decodes a typed message, reading 'p' as a {@link PasswordMessage}. */
  public static TypedFrontendMessage decode(byte type, ByteBuf payload) {
    return decode(type, payload, PasswordKind.PASSWORD);
  }

  /**
   * Decodes a typed message.
   *
   * @param type the frame's type byte
   * @param payload the body, without type and length
   * @param kind what a 'p' message is at this point of the authentication exchange
   */
  public static TypedFrontendMessage decode(byte type, ByteBuf payload, PasswordKind kind) {
    Objects.requireNonNull(payload, "payload");
    Objects.requireNonNull(kind, "kind");
    FrontendType frontendType = FrontendType.fromCode(type);
    if (frontendType == null) {
      throw new ProtocolViolation("invalid frontend message type " + Wire.typeByte(type));
    }
    String name = frontendType == FrontendType.PASSWORD ? kind.messageName() : frontendType.messageName();
    PayloadReader r = new PayloadReader(payload, name);
    TypedFrontendMessage message = switch (frontendType) {
      case BIND -> Bind.decode(r);
      case CLOSE -> Close.decode(r);
      case COPY_DATA -> CopyData.decode(r);
      case COPY_DONE -> CopyDone.INSTANCE;
      case COPY_FAIL -> CopyFail.decode(r);
      case DESCRIBE -> Describe.decode(r);
      case EXECUTE -> Execute.decode(r);
      case FLUSH -> Flush.INSTANCE;
      case FUNCTION_CALL -> FunctionCall.decode(r);
      case PARSE -> Parse.decode(r);
      case PASSWORD -> switch (kind) {
        case PASSWORD -> PasswordMessage.decode(r);
        case SASL_INITIAL -> SaslInitialResponse.decode(r);
        case SASL_RESPONSE -> SaslResponse.decode(r);
        case GSS -> GssResponse.decode(r);
      };
      case QUERY -> Query.decode(r);
      case SYNC -> Sync.INSTANCE;
      case TERMINATE -> Terminate.INSTANCE;
    };
    r.end();
    return message;
  }
}
