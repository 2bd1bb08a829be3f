package io.pgmm.protocol;

/** The four messages that share type 'p'; see {@link PasswordKind}. */
public sealed interface AuthenticationResponse extends TypedFrontendMessage
    permits PasswordMessage, SaslInitialResponse, SaslResponse, GssResponse {

  @Override
  default FrontendType frontendType() {
    return FrontendType.PASSWORD;
  }

  PasswordKind kind();
}
