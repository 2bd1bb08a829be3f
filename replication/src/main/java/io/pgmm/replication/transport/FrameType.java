package io.pgmm.replication.transport;

/**
 * The type byte of a frame ({@code type:int8, bodyLength:int32, body}). Never renumber. Each type knows its
 * smallest and largest body, so a length is checked before a byte of the body is buffered.
 */
enum FrameType {
  HELLO(0x01, true, Handshake.HELLO_BYTES, Handshake.HELLO_BYTES),
  AUTH(0x02, true, Handshake.MAC_BYTES, Handshake.MAC_BYTES),
  PREPARE_BEGIN(0x10, false, PeerCodec.GID_BYTES + 16, PeerCodec.GID_BYTES + 16),
  CHANGE_CHUNK(0x11, false, PeerCodec.GID_BYTES + 8, PeerCodec.GID_BYTES + 8 + PeerMessage.MAX_CHUNK_DATA_BYTES),
  PREPARE_END(0x12, false, PeerCodec.GID_BYTES + 4, PeerCodec.GID_BYTES + 4),
  VOTE(0x13, false, PeerCodec.GID_BYTES + 4 + 1 + 8 + 4 + 4,
      PeerCodec.GID_BYTES + 4 + 1 + 8 + 4 + PeerCodec.MAX_SQLSTATE_BYTES + 4 + PeerCodec.MAX_VOTE_MESSAGE_BYTES),
  PRE_COMMIT(0x14, false, PeerCodec.GID_BYTES + 24, PeerCodec.GID_BYTES + 24),
  PRE_COMMIT_ACK(0x15, false, PeerCodec.GID_BYTES + 5, PeerCodec.GID_BYTES + 5),
  DECISION(0x16, false, PeerCodec.GID_BYTES + 1, PeerCodec.GID_BYTES + 1),
  DECISION_ACK(0x17, false, PeerCodec.GID_BYTES + 4, PeerCodec.GID_BYTES + 4),
  WOUND(0x18, false, PeerCodec.GID_BYTES, PeerCodec.GID_BYTES),
  PREPARE(0x19, false, PeerCodec.GID_BYTES + 20, PeerCodec.GID_BYTES + 20 + PeerMessage.MAX_CHUNK_DATA_BYTES),
  RUN_STATEMENT(0x1A, false, PeerCodec.GID_BYTES + 4, PeerCodec.GID_BYTES + 4 + PeerMessage.MAX_STATEMENT_BYTES),
  STATEMENT_DONE(0x1B, false, PeerCodec.GID_BYTES + 4 + 4 + 4,
      PeerCodec.GID_BYTES + 4 + 4 + PeerCodec.MAX_SQLSTATE_BYTES + 4 + PeerCodec.MAX_VOTE_MESSAGE_BYTES);

  static final int HEADER_BYTES = 5;
  /** The largest body of any frame type. */
  static final int MAX_BODY_BYTES = PREPARE.maxBodyBytes;

  private static final FrameType[] BY_CODE = new FrameType[256];

  static {
    for (FrameType t : values()) {
      BY_CODE[t.code & 0xFF] = t;
    }
  }

  final byte code;
  /** Allowed only before authentication (and only then). */
  final boolean handshake;
  final int minBodyBytes;
  final int maxBodyBytes;

  FrameType(int code, boolean handshake, int minBodyBytes, int maxBodyBytes) {
    this.code = (byte) code;
    this.handshake = handshake;
    this.minBodyBytes = minBodyBytes;
    this.maxBodyBytes = maxBodyBytes;
  }

  /** Null for an unknown code. */
  static FrameType of(byte code) {
    return BY_CODE[code & 0xFF];
  }
}
