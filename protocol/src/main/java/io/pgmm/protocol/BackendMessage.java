package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;

/**
 * A message from server to client: one type byte, int32 length (itself included, type byte not),
 * then the body.
 *
 * <p>Every message is an immutable record holding data only. Records with array components do
 * not copy their arrays (the codec is on the relay's hot path): whoever builds a record hands the
 * arrays over and must not change them afterwards. Their equals/hashCode/toString compare and
 * show contents. Strings must not contain NUL; counts must fit the wire's unsigned int16; record
 * constructors throw {@link IllegalArgumentException} otherwise, which the decoders never trigger.
 */
public sealed interface BackendMessage
    permits Authentication, BackendKeyData, BindComplete, CloseComplete, CommandComplete, CopyData, CopyDone,
        CopyResponse, DataRow, DiagnosticMessage, EmptyQueryResponse, FunctionCallResponse, NegotiateProtocolVersion,
        NoData, NotificationResponse, ParameterDescription, ParameterStatus, ParseComplete, PortalSuspended,
        ReadyForQuery, RowDescription {

  BackendType backendType();

  /** Writes the body (everything after the length word); {@link BackendEncoder} frames it. */
  void writeBody(ByteBuf out);
}
