package io.pgmm.replication.transport;

import io.netty.buffer.ByteBuf;
import io.pgmm.replication.Gid;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Frame bodies of {@link PeerMessage}s and handshake messages; no I/O. Big-endian.
 *
 * <pre>
 *   frame     = type:int8  bodyLength:int32  body
 *   Gid       = originNode:int32 incarnation:int64 seq:int64
 *   boolean   = int8 0 | 1
 *   string    = length:int32 (-1 = null) utf8-bytes
 *   bytes     = length:int32 bytes
 *   Hello     = version:int16 nodeId:int32 nonce:32 bytes
 *   Auth      = hmac:32 bytes
 *   Prepare      = Gid generation:int64 prepareTs:int64 data:bytes
 *   PrepareBegin = Gid generation:int64 prepareTs:int64
 *   ChangeChunk  = Gid seq:int32 data:bytes
 *   PrepareEnd   = Gid chunkCount:int32
 *   Vote         = Gid voterNode:int32 yes:boolean voterTs:int64 sqlState:string message:string
 *   PreCommit    = Gid generation:int64 ballot:int64 commitTs:int64
 *   PreCommitAck = Gid voterNode:int32 accepted:boolean
 *   Decision     = Gid commit:boolean
 *   DecisionAck  = Gid voterNode:int32
 *   Wound        = Gid
 *   RunStatement  = Gid statement:string
 *   StatementDone = Gid node:int32 sqlState:string message:string
 * </pre>
 *
 * Every length read from the wire is checked against the frame's remaining bytes and a fixed limit before
 * anything is allocated; a body with bytes left over is malformed.
 */
final class PeerCodec {

  static final int GID_BYTES = 4 + 8 + 8;
  static final int MAX_SQLSTATE_BYTES = 5;
  static final int MAX_VOTE_MESSAGE_BYTES = 3 * PeerMessage.MAX_VOTE_MESSAGE_CHARS;

  private PeerCodec() {}

  static FrameType typeOf(Object message) {
    if (message instanceof PeerMessage.Prepare) {
      return FrameType.PREPARE;
    } else if (message instanceof PeerMessage.PrepareBegin) {
      return FrameType.PREPARE_BEGIN;
    } else if (message instanceof PeerMessage.ChangeChunk) {
      return FrameType.CHANGE_CHUNK;
    } else if (message instanceof PeerMessage.PrepareEnd) {
      return FrameType.PREPARE_END;
    } else if (message instanceof PeerMessage.Vote) {
      return FrameType.VOTE;
    } else if (message instanceof PeerMessage.PreCommit) {
      return FrameType.PRE_COMMIT;
    } else if (message instanceof PeerMessage.PreCommitAck) {
      return FrameType.PRE_COMMIT_ACK;
    } else if (message instanceof PeerMessage.Decision) {
      return FrameType.DECISION;
    } else if (message instanceof PeerMessage.DecisionAck) {
      return FrameType.DECISION_ACK;
    } else if (message instanceof PeerMessage.Wound) {
      return FrameType.WOUND;
    } else if (message instanceof PeerMessage.RunStatement) {
      return FrameType.RUN_STATEMENT;
    } else if (message instanceof PeerMessage.StatementDone) {
      return FrameType.STATEMENT_DONE;
    } else if (message instanceof Handshake.Hello) {
      return FrameType.HELLO;
    } else if (message instanceof Handshake.Auth) {
      return FrameType.AUTH;
    }
    throw new IllegalArgumentException("not a peer frame: " + message);
  }

  /** An upper bound of the frame's size, header included, for buffer allocation. */
  static int frameSizeBound(Object message) {
    if (message instanceof PeerMessage.ChangeChunk c) {
      return FrameType.HEADER_BYTES + GID_BYTES + 8 + c.data().length;
    }
    if (message instanceof PeerMessage.Prepare p) {
      return FrameType.HEADER_BYTES + GID_BYTES + 20 + p.data().length;
    }
    return FrameType.HEADER_BYTES + typeOf(message).maxBodyBytes;
  }

  /** Writes the whole frame (header and body) of {@code message} to {@code out}. */
  static void encodeFrame(Object message, ByteBuf out) {
    FrameType type = typeOf(message);
    int start = out.writerIndex();
    out.writeByte(type.code);
    out.writeInt(0); // body length, set below
    encodeBody(message, out);
    int bodyBytes = out.writerIndex() - start - FrameType.HEADER_BYTES;
    if (bodyBytes < type.minBodyBytes || bodyBytes > type.maxBodyBytes) {
      throw new IllegalStateException(type + " body of " + bodyBytes + " bytes is outside its limits");
    }
    out.setInt(start + 1, bodyBytes);
  }

  private static void encodeBody(Object message, ByteBuf out) {
    if (message instanceof Handshake.Hello h) {
      out.writeShort(h.version()).writeInt(h.nodeId()).writeBytes(h.nonce());
    } else if (message instanceof Handshake.Auth a) {
      out.writeBytes(a.mac());
    } else if (message instanceof PeerMessage m) {
      writeGid(m.gid(), out);
      if (m instanceof PeerMessage.Prepare p) {
        out.writeLong(p.generation()).writeLong(p.prepareTs()).writeInt(p.data().length).writeBytes(p.data());
      } else if (m instanceof PeerMessage.PrepareBegin p) {
        out.writeLong(p.generation()).writeLong(p.prepareTs());
      } else if (m instanceof PeerMessage.ChangeChunk c) {
        out.writeInt(c.seq()).writeInt(c.data().length).writeBytes(c.data());
      } else if (m instanceof PeerMessage.PrepareEnd p) {
        out.writeInt(p.chunkCount());
      } else if (m instanceof PeerMessage.Vote v) {
        out.writeInt(v.voterNode()).writeByte(v.yes() ? 1 : 0).writeLong(v.voterTs());
        writeString(v.sqlState(), out);
        writeString(v.message(), out);
      } else if (m instanceof PeerMessage.PreCommit p) {
        out.writeLong(p.generation()).writeLong(p.ballot()).writeLong(p.commitTs());
      } else if (m instanceof PeerMessage.PreCommitAck a) {
        out.writeInt(a.voterNode()).writeByte(a.accepted() ? 1 : 0);
      } else if (m instanceof PeerMessage.Decision d) {
        out.writeByte(d.commit() ? 1 : 0);
      } else if (m instanceof PeerMessage.DecisionAck a) {
        out.writeInt(a.voterNode());
      } else if (m instanceof PeerMessage.RunStatement r) {
        writeString(r.statement(), out);
      } else if (m instanceof PeerMessage.StatementDone d) {
        out.writeInt(d.node());
        writeString(d.sqlState(), out);
        writeString(d.message(), out);
      } else if (!(m instanceof PeerMessage.Wound)) {
        throw new IllegalArgumentException("unknown peer message " + m);
      }
    } else {
      throw new IllegalArgumentException("not a peer frame: " + message);
    }
  }

  /**
   * Decodes a body whose length the framer already checked against {@code type}'s limits. Returns a
   * {@link PeerMessage}, a {@link Handshake.Hello} or a {@link Handshake.Auth}.
   */
  static Object decodeBody(FrameType type, ByteBuf body) throws MalformedFrameException {
    Object result;
    try {
      result = switch (type) {
        case HELLO -> new Handshake.Hello(body.readShort(), body.readInt(), bytes(body, Handshake.NONCE_BYTES));
        case AUTH -> new Handshake.Auth(bytes(body, Handshake.MAC_BYTES));
        case PREPARE_BEGIN -> new PeerMessage.PrepareBegin(readGid(body), body.readLong(), body.readLong());
        case CHANGE_CHUNK -> {
          Gid gid = readGid(body);
          int seq = body.readInt();
          int length = body.readInt();
          if (length < 0 || length > PeerMessage.MAX_CHUNK_DATA_BYTES || length != body.readableBytes()) {
            throw new MalformedFrameException("chunk data length " + length + " does not match its frame");
          }
          yield new PeerMessage.ChangeChunk(gid, seq, bytes(body, length));
        }
        case PREPARE_END -> new PeerMessage.PrepareEnd(readGid(body), body.readInt());
        case PREPARE -> {
          Gid gid = readGid(body);
          long generation = body.readLong();
          long prepareTs = body.readLong();
          int length = body.readInt();
          if (length < 0 || length > PeerMessage.MAX_CHUNK_DATA_BYTES || length != body.readableBytes()) {
            throw new MalformedFrameException("prepare data length " + length + " does not match its frame");
          }
          yield new PeerMessage.Prepare(gid, generation, prepareTs, bytes(body, length));
        }
        case VOTE -> new PeerMessage.Vote(readGid(body), body.readInt(), readBoolean(body), body.readLong(),
            readString(body, MAX_SQLSTATE_BYTES), readString(body, MAX_VOTE_MESSAGE_BYTES));
        case PRE_COMMIT -> new PeerMessage.PreCommit(readGid(body), body.readLong(), body.readLong(), body.readLong());
        case PRE_COMMIT_ACK -> new PeerMessage.PreCommitAck(readGid(body), body.readInt(), readBoolean(body));
        case DECISION -> new PeerMessage.Decision(readGid(body), readBoolean(body));
        case DECISION_ACK -> new PeerMessage.DecisionAck(readGid(body), body.readInt());
        case WOUND -> new PeerMessage.Wound(readGid(body));
        case RUN_STATEMENT -> {
          Gid gid = readGid(body);
          String statement = readString(body, PeerMessage.MAX_STATEMENT_BYTES);
          if (statement == null) {
            throw new MalformedFrameException("RUN_STATEMENT without a statement");
          }
          yield new PeerMessage.RunStatement(gid, statement);
        }
        case STATEMENT_DONE -> new PeerMessage.StatementDone(readGid(body), body.readInt(),
            readString(body, MAX_SQLSTATE_BYTES), readString(body, MAX_VOTE_MESSAGE_BYTES));
      };
    } catch (IndexOutOfBoundsException e) {
      throw new MalformedFrameException(type + " body too short");
    } catch (IllegalArgumentException e) {
      throw new MalformedFrameException(type + " has an invalid field: " + e.getMessage());
    }
    if (body.isReadable()) {
      throw new MalformedFrameException(type + " body has " + body.readableBytes() + " bytes left over");
    }
    return result;
  }

  private static void writeGid(Gid gid, ByteBuf out) {
    out.writeInt(gid.originNode()).writeLong(gid.incarnation()).writeLong(gid.seq());
  }

  private static Gid readGid(ByteBuf in) {
    return new Gid(in.readInt(), in.readLong(), in.readLong());
  }

  private static boolean readBoolean(ByteBuf in) throws MalformedFrameException {
    byte b = in.readByte();
    if (b != 0 && b != 1) {
      throw new MalformedFrameException("boolean byte " + b);
    }
    return b == 1;
  }

  private static void writeString(String s, ByteBuf out) {
    if (s == null) {
      out.writeInt(-1);
      return;
    }
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(utf8.length).writeBytes(utf8);
  }

  private static String readString(ByteBuf in, int maxBytes) throws MalformedFrameException {
    int length = in.readInt();
    if (length == -1) {
      return null;
    }
    if (length < 0 || length > maxBytes || length > in.readableBytes()) {
      throw new MalformedFrameException("string length " + length + " (limit " + maxBytes + ")");
    }
    byte[] utf8 = bytes(in, length);
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(utf8)).toString();
    } catch (CharacterCodingException e) {
      throw new MalformedFrameException("string is not valid UTF-8");
    }
  }

  private static byte[] bytes(ByteBuf in, int length) {
    if (length > in.readableBytes()) {
      throw new IndexOutOfBoundsException();
    }
    byte[] b = new byte[length];
    in.readBytes(b);
    return b;
  }
}
