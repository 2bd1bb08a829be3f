package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;

/** Query 'Q': C-string SQL, possibly several statements (simple query protocol). */
public record Query(String sql) implements TypedFrontendMessage {

  public Query {
    Wire.cstring(sql, "sql");
  }

  @Override
  public FrontendType frontendType() {
    return FrontendType.QUERY;
  }

  @Override
  public void writeBody(ByteBuf out) {
    Wire.writeCString(out, sql);
  }

  static Query decode(PayloadReader r) {
    return new Query(r.cstring("query string"));
  }
}
