package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;

/** EmptyQueryResponse 'I': the query string was empty; stands in for CommandComplete. Empty body. */
public record EmptyQueryResponse() implements BackendMessage {

  public static final EmptyQueryResponse INSTANCE = new EmptyQueryResponse();

  @Override
  public BackendType backendType() {
    return BackendType.EMPTY_QUERY_RESPONSE;
  }

  @Override
  public void writeBody(ByteBuf out) {}
}
