package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;

/** PortalSuspended 's': Execute reached its row limit; the portal can be executed again. Empty body. */
public record PortalSuspended() implements BackendMessage {

  public static final PortalSuspended INSTANCE = new PortalSuspended();

  @Override
  public BackendType backendType() {
    return BackendType.PORTAL_SUSPENDED;
  }

  @Override
  public void writeBody(ByteBuf out) {}
}
