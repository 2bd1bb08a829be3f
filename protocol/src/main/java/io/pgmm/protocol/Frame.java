package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;

/**
 * One message as cut by {@link MessageFramer}: its type byte and its body.
 *
 * @param type the type byte, or {@link #STARTUP} (0) for a startup packet, which has none
 * @param payload the body only (no type, no length word): a retained slice the receiver must
 *     release, e.g. with try-with-resources on this frame
 */
public record Frame(byte type, ByteBuf payload) implements AutoCloseable {

  public static final byte STARTUP = 0;

  public boolean isStartup() {
    return type == STARTUP;
  }

  /** Releases the payload. */
  @Override
  public void close() {
    payload.release();
  }
}
