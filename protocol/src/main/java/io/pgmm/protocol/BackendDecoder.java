package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;
import java.util.Objects;

/**
 * Turns frames from PostgreSQL into {@link BackendMessage}s. Reads the payload's readable bytes
 * without moving its indices or releasing it. Every failure is a {@link ProtocolViolation}; see
 * {@link FrontendDecoder} for the rules and the message flows.
 */
public final class BackendDecoder {

  private BackendDecoder() {}

  /**
   * @param type the frame's type byte
   * @param payload the body, without type and length
   */
  public static BackendMessage decode(byte type, ByteBuf payload) {
    Objects.requireNonNull(payload, "payload");
    BackendType backendType = BackendType.fromCode(type);
    if (backendType == null) {
      throw new ProtocolViolation("invalid backend message type " + Wire.typeByte(type));
    }
    PayloadReader r = new PayloadReader(payload, backendType.messageName());
    BackendMessage message = switch (backendType) {
      case AUTHENTICATION -> decodeAuthentication(r);
      case BACKEND_KEY_DATA -> BackendKeyData.decode(r);
      case BIND_COMPLETE -> BindComplete.INSTANCE;
      case CLOSE_COMPLETE -> CloseComplete.INSTANCE;
      case COMMAND_COMPLETE -> CommandComplete.decode(r);
      case COPY_DATA -> CopyData.decode(r);
      case COPY_DONE -> CopyDone.INSTANCE;
      case COPY_IN_RESPONSE -> CopyInResponse.decode(r);
      case COPY_OUT_RESPONSE -> CopyOutResponse.decode(r);
      case COPY_BOTH_RESPONSE -> CopyBothResponse.decode(r);
      case DATA_ROW -> DataRow.decode(r);
      case EMPTY_QUERY_RESPONSE -> EmptyQueryResponse.INSTANCE;
      case ERROR_RESPONSE -> ErrorResponse.decode(r);
      case FUNCTION_CALL_RESPONSE -> FunctionCallResponse.decode(r);
      case NEGOTIATE_PROTOCOL_VERSION -> NegotiateProtocolVersion.decode(r);
      case NO_DATA -> NoData.INSTANCE;
      case NOTICE_RESPONSE -> NoticeResponse.decode(r);
      case NOTIFICATION_RESPONSE -> NotificationResponse.decode(r);
      case PARAMETER_DESCRIPTION -> ParameterDescription.decode(r);
      case PARAMETER_STATUS -> ParameterStatus.decode(r);
      case PARSE_COMPLETE -> ParseComplete.INSTANCE;
      case PORTAL_SUSPENDED -> PortalSuspended.INSTANCE;
      case READY_FOR_QUERY -> ReadyForQuery.decode(r);
      case ROW_DESCRIPTION -> RowDescription.decode(r);
    };
    r.end();
    return message;
  }

  private static Authentication decodeAuthentication(PayloadReader r) {
    int code = r.int32("authentication type");
    AuthenticationType authenticationType = AuthenticationType.fromCode(code);
    if (authenticationType == null) {
      throw r.violation("unknown authentication type " + code);
    }
    return switch (authenticationType) {
      case OK -> AuthenticationOk.INSTANCE;
      case KERBEROS_V5 -> AuthenticationKerberosV5.INSTANCE;
      case CLEARTEXT_PASSWORD -> AuthenticationCleartextPassword.INSTANCE;
      case MD5_PASSWORD -> AuthenticationMd5Password.decode(r);
      case SCM_CREDENTIAL -> AuthenticationScmCredential.INSTANCE;
      case GSS -> AuthenticationGss.INSTANCE;
      case GSS_CONTINUE -> AuthenticationGssContinue.decode(r);
      case SSPI -> AuthenticationSspi.INSTANCE;
      case SASL -> AuthenticationSasl.decode(r);
      case SASL_CONTINUE -> AuthenticationSaslContinue.decode(r);
      case SASL_FINAL -> AuthenticationSaslFinal.decode(r);
    };
  }
}
