package io.pgmm.protocol;

import io.netty.buffer.ByteBuf;

/**
 * CopyInResponse 'G', CopyOutResponse 'H', CopyBothResponse 'W': int8 overall format (0 text, 1
 * binary), int16 column count, int16 format code per column.
 */
public sealed interface CopyResponse extends BackendMessage permits CopyInResponse, CopyOutResponse, CopyBothResponse {

  CopyFormat overall();

  short[] columnFormats();

  @Override
  default void writeBody(ByteBuf out) {
    out.writeByte(overall().code());
    Wire.writeShorts(out, columnFormats());
  }
}
