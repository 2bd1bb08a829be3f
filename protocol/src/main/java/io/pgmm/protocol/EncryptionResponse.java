package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;

/**
 * The single byte a server answers to SSLRequest or GSSENCRequest. Not a message: no type, no
 * length. After 'S' (SSL) or 'G' (GSS) the encrypted handshake starts; after 'N' the client may
 * send a StartupMessage in the clear.
 */
public enum EncryptionResponse {
  /** 'S': go ahead with the TLS handshake. */
  SSL_ACCEPTED('S'),
  /** 'G': go ahead with GSSAPI encryption. */
  GSS_ACCEPTED('G'),
  /** 'N': not supported; continue unencrypted or close. */
  REJECTED('N');

  private final byte code;

  EncryptionResponse(char code) {
    this.code = (byte) code;
  }

  public byte code() {
    return code;
  }

  public void writeTo(ByteBuf out) {
    out.writeByte(code);
  }
}
