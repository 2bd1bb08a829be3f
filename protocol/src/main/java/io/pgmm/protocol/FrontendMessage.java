package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;

/**
 * A message from client to server. Two shapes on the wire:
 *
 * <ul>
 *   <li>{@link StartupPacket}: int32 length (itself included), then the body, whose first int32 is
 *       a code (protocol version or request code). Only the first packet(s) of a connection.
 *   <li>{@link TypedFrontendMessage}: one type byte, int32 length (itself included, type byte
 *       not), then the body.
 * </ul>
 *
 * <p>Every message is an immutable record holding data only. Records with array components do
 * not copy their arrays (the codec is on the relay's hot path): whoever builds a record hands the
 * arrays over and must not change them afterwards. Their equals/hashCode/toString compare and
 * show contents. Strings must not contain NUL; counts must fit the wire's unsigned int16; record
 * constructors throw {@link IllegalArgumentException} otherwise, which the decoders never trigger.
 */
public sealed interface FrontendMessage permits StartupPacket, TypedFrontendMessage {

  /** Writes the body (everything after the length word); {@link FrontendEncoder} frames it. */
  void writeBody(ByteBuf out);
}
