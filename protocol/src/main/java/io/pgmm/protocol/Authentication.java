package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;

/** The Authentication family, type 'R': int32 {@link AuthenticationType} code, then its own fields. */
public sealed interface Authentication extends BackendMessage
    permits AuthenticationOk, AuthenticationKerberosV5, AuthenticationCleartextPassword, AuthenticationMd5Password,
        AuthenticationScmCredential, AuthenticationGss, AuthenticationGssContinue, AuthenticationSspi,
        AuthenticationSasl, AuthenticationSaslContinue, AuthenticationSaslFinal {

  AuthenticationType authenticationType();

  @Override
  default BackendType backendType() {
    return BackendType.AUTHENTICATION;
  }

  /** The code, then {@link #writeFields}. */
  @Override
  default void writeBody(ByteBuf out) {
    out.writeInt(authenticationType().code());
    writeFields(out);
  }

  /** What follows the code; nothing for most. */
  default void writeFields(ByteBuf out) {}
}
