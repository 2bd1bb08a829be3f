package io.pgmm.protocol;

/**
 * The untyped packets of the startup phase, told apart by the int32 code that opens their body.
 * Decoded by {@link FrontendDecoder#decodeStartup}.
 */
public sealed interface StartupPacket extends FrontendMessage
    permits StartupMessage, SslRequest, GssEncRequest, CancelRequest {}
