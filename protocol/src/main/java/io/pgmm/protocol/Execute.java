package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;

/**
 * Execute 'E': C-string portal name, int32 row limit.
 *
 * @param maxRows at most this many rows, then PortalSuspended; 0 (or negative) means no limit
 */
public record Execute(String portalName, int maxRows) implements TypedFrontendMessage {

  public Execute {
    Wire.cstring(portalName, "portalName");
  }

  @Override
  public FrontendType frontendType() {
    return FrontendType.EXECUTE;
  }

  @Override
  public void writeBody(ByteBuf out) {
    Wire.writeCString(out, portalName);
    out.writeInt(maxRows);
  }

  static Execute decode(PayloadReader r) {
    return new Execute(r.cstring("portal name"), r.int32("row limit"));
  }
}
