package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;

/** NotificationResponse 'A': int32 notifying process ID, C-string channel, C-string payload. */
public record NotificationResponse(int processId, String channel, String payload) implements BackendMessage {

  public NotificationResponse {
    Wire.cstring(channel, "channel");
    Wire.cstring(payload, "payload");
  }

  @Override
  public BackendType backendType() {
    return BackendType.NOTIFICATION_RESPONSE;
  }

  @Override
  public void writeBody(ByteBuf out) {
    out.writeInt(processId);
    Wire.writeCString(out, channel);
    Wire.writeCString(out, payload);
  }

  static NotificationResponse decode(PayloadReader r) {
    return new NotificationResponse(r.int32("process ID"), r.cstring("channel"), r.cstring("payload"));
  }
}
