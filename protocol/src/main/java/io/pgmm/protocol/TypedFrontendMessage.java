package io.pgmm.protocol;

/** A frontend message with a type byte: everything after the startup packet. */
public sealed interface TypedFrontendMessage extends FrontendMessage
    permits AuthenticationResponse, Bind, Close, CopyData, CopyDone, CopyFail, Describe, Execute, Flush,
        FunctionCall, Parse, Query, Sync, Terminate {

  FrontendType frontendType();
}
