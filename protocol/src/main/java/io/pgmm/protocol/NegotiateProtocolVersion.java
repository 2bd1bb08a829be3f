package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * NegotiateProtocolVersion 'v': int32 newest minor version the server supports for the requested
 * major, int32 count, C-string names of the "_pq_." options it did not recognise.
 */
public record NegotiateProtocolVersion(int newestMinorVersion, List<String> unrecognizedOptions)
    implements BackendMessage {

  public NegotiateProtocolVersion {
    unrecognizedOptions = List.copyOf(unrecognizedOptions);
    unrecognizedOptions.forEach(o -> Wire.cstring(o, "option"));
  }

  @Override
  public BackendType backendType() {
    return BackendType.NEGOTIATE_PROTOCOL_VERSION;
  }

  @Override
  public void writeBody(ByteBuf out) {
    out.writeInt(newestMinorVersion);
    out.writeInt(unrecognizedOptions.size());
    unrecognizedOptions.forEach(o -> Wire.writeCString(out, o));
  }

  static NegotiateProtocolVersion decode(PayloadReader r) {
    int newestMinorVersion = r.int32("newest minor version");
    int n = r.count32("unrecognized options", 1);
    List<String> options = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      options.add(r.cstring("option name"));
    }
    return new NegotiateProtocolVersion(newestMinorVersion, options);
  }
}
