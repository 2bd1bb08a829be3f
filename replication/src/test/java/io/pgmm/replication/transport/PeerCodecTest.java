package io.pgmm.replication.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.pgmm.replication.Gid;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PeerCodecTest {

  private static final Gid GID = new Gid(2, 5, 77);

  static List<PeerMessage> oneOfEach() {
    byte[] data = new byte[3000];
    new Random(1).nextBytes(data);
    return List.of(
        new PeerMessage.Prepare(GID, 3, 123_456_789L, data),
        new PeerMessage.Prepare(GID, 1, 0, new byte[0]),
        new PeerMessage.PrepareBegin(GID, 3, 123_456_789L),
        new PeerMessage.ChangeChunk(GID, 0, data),
        new PeerMessage.ChangeChunk(GID, 1, new byte[0]),
        new PeerMessage.PrepareEnd(GID, 2),
        new PeerMessage.Vote(GID, 3, true, 99L, null, null),
        new PeerMessage.Vote(GID, 3, false, 0L, "40001", "could not serialize access: ünïcødé ✓ 🐘"),
        new PeerMessage.PreCommit(GID, 3, 7, 1_000_000L),
        new PeerMessage.PreCommitAck(GID, 1, true),
        new PeerMessage.PreCommitAck(GID, 1, false),
        new PeerMessage.Decision(GID, true),
        new PeerMessage.Decision(GID, false),
        new PeerMessage.DecisionAck(GID, 3),
        new PeerMessage.Wound(GID),
        new PeerMessage.RunStatement(GID, "pgmm-ddl/1\nsearch_path: public\nrole: app\n\ncreate index concurrently i on t (a)"),
        new PeerMessage.StatementDone(GID, 2, null, null),
        new PeerMessage.StatementDone(GID, 2, "42P07", "relation \"i\" already exists"));
  }

  private static EmbeddedChannel authenticatedDecoder() {
    PeerFrameDecoder decoder = new PeerFrameDecoder(PeerTransportConfig.DEFAULT_MAX_FRAME_BODY_BYTES);
    decoder.markAuthenticated();
    return new EmbeddedChannel(decoder);
  }

  private static ByteBuf frame(Object message) {
    ByteBuf buf = Unpooled.buffer();
    PeerCodec.encodeFrame(message, buf);
    return buf;
  }

  @Test
  void everyMessageRoundTripsFedOneByteAtATime() {
    EmbeddedChannel ch = authenticatedDecoder();
    for (PeerMessage m : oneOfEach()) {
      ByteBuf bytes = frame(m);
      while (bytes.isReadable()) {
        ch.writeInbound(bytes.readRetainedSlice(1));
      }
      bytes.release();
      Object decoded = ch.readInbound();
      assertThat(decoded).as(m.getClass().getSimpleName()).isEqualTo(m);
      assertThat((Object) ch.readInbound()).isNull();
    }
    assertThat(ch.isOpen()).isTrue();
    assertThat(ch.finish()).isFalse();
  }

  @Test
  void manyFramesInOneBufferAllDecode() {
    EmbeddedChannel ch = authenticatedDecoder();
    ByteBuf all = Unpooled.buffer();
    for (PeerMessage m : oneOfEach()) {
      PeerCodec.encodeFrame(m, all);
    }
    ch.writeInbound(all);
    List<Object> decoded = new ArrayList<>();
    Object o;
    while ((o = ch.readInbound()) != null) {
      decoded.add(o);
    }
    assertThat(decoded).containsExactlyElementsOf(oneOfEach());
  }

  @Test
  void encoderWritesTheSameBytesAsTheCodec() {
    EmbeddedChannel ch = new EmbeddedChannel(PeerFrameEncoder.INSTANCE);
    for (PeerMessage m : oneOfEach()) {
      ch.writeOutbound(m);
      ByteBuf written = ch.readOutbound();
      ByteBuf expected = frame(m);
      assertThat(ByteBufUtilEquals.equal(written, expected)).isTrue();
      written.release();
      expected.release();
    }
  }

  @Test
  void woundAndDecisionMatchHandBuiltBytes() {
    ByteBuf wound = frame(new PeerMessage.Wound(new Gid(1, 2, 3)));
    byte[] expected = {0x18, 0, 0, 0, 20, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3};
    assertThat(bytes(wound)).containsExactly(expected);
    ByteBuf decision = frame(new PeerMessage.Decision(new Gid(1, 2, 3), true));
    byte[] expectedDecision = {0x16, 0, 0, 0, 21, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 1};
    assertThat(bytes(decision)).containsExactly(expectedDecision);
  }

  @Test
  void unknownTypeClosesTheConnection() {
    assertClosedBy(authenticatedDecoder(), new byte[] {0x7F, 0, 0, 0, 0});
  }

  @Test
  void oversizedLengthClosesBeforeTheBodyArrives() {
    EmbeddedChannel ch = authenticatedDecoder();
    assertClosedBy(ch, new byte[] {0x11, 0x7F, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF});
    EmbeddedChannel ch2 = authenticatedDecoder();
    assertClosedBy(ch2, header(0x11, PeerCodec.GID_BYTES + 8 + PeerMessage.MAX_CHUNK_DATA_BYTES + 1));
  }

  @Test
  void negativeOrWrongFixedLengthCloses() {
    assertClosedBy(authenticatedDecoder(), header(0x18, -1));
    assertClosedBy(authenticatedDecoder(), header(0x18, 21));
    assertClosedBy(authenticatedDecoder(), header(0x16, 20));
  }

  @Test
  void smallerConfiguredFrameLimitIsEnforced() {
    PeerFrameDecoder decoder = new PeerFrameDecoder(1000);
    decoder.markAuthenticated();
    EmbeddedChannel ch = new EmbeddedChannel(decoder);
    assertClosedBy(ch, header(0x11, 1001));
  }

  @Test
  void peerMessageBeforeAuthenticationCloses() {
    EmbeddedChannel ch = new EmbeddedChannel(new PeerFrameDecoder(PeerTransportConfig.DEFAULT_MAX_FRAME_BODY_BYTES));
    assertClosedBy(ch, bytes(frame(new PeerMessage.Wound(GID))));
  }

  @Test
  void handshakeFrameAfterAuthenticationCloses() {
    assertClosedBy(authenticatedDecoder(), bytes(frame(new Handshake.Auth(new byte[32]))));
  }

  @Test
  void invalidFieldsClose() {
    // gid with origin node 0
    ByteBuf bad = Unpooled.buffer().writeByte(0x18).writeInt(20).writeInt(0).writeLong(1).writeLong(1);
    assertClosedBy(authenticatedDecoder(), bytes(bad));
    // boolean byte 2
    ByteBuf decision = frame(new PeerMessage.Decision(GID, true));
    decision.setByte(decision.writerIndex() - 1, 2);
    assertClosedBy(authenticatedDecoder(), bytes(decision));
    // chunk data length that disagrees with the frame
    ByteBuf chunk = frame(new PeerMessage.ChangeChunk(GID, 0, new byte[10]));
    chunk.setInt(FrameType.HEADER_BYTES + PeerCodec.GID_BYTES + 4, 9);
    assertClosedBy(authenticatedDecoder(), bytes(chunk));
    // negative seq
    ByteBuf chunk2 = frame(new PeerMessage.ChangeChunk(GID, 0, new byte[10]));
    chunk2.setInt(FrameType.HEADER_BYTES + PeerCodec.GID_BYTES, -5);
    assertClosedBy(authenticatedDecoder(), bytes(chunk2));
  }

  @Test
  void badVoteStringsClose() {
    // sqlState longer than 5 bytes
    ByteBuf body = Unpooled.buffer();
    body.writeInt(2).writeLong(5).writeLong(77).writeInt(3).writeByte(0).writeLong(1);
    body.writeInt(6).writeBytes("400011".getBytes(StandardCharsets.US_ASCII)).writeInt(-1);
    assertClosedBy(authenticatedDecoder(), withHeader(0x13, body));
    // invalid UTF-8 in the message
    ByteBuf body2 = Unpooled.buffer();
    body2.writeInt(2).writeLong(5).writeLong(77).writeInt(3).writeByte(0).writeLong(1);
    body2.writeInt(-1).writeInt(2).writeByte(0xC3).writeByte(0x28);
    assertClosedBy(authenticatedDecoder(), withHeader(0x13, body2));
    // string length beyond the frame
    ByteBuf body3 = Unpooled.buffer();
    body3.writeInt(2).writeLong(5).writeLong(77).writeInt(3).writeByte(0).writeLong(1);
    body3.writeInt(-1).writeInt(100).writeByte('x');
    assertClosedBy(authenticatedDecoder(), withHeader(0x13, body3));
    // bytes left over
    ByteBuf body4 = Unpooled.buffer();
    body4.writeInt(2).writeLong(5).writeLong(77).writeInt(3).writeByte(0).writeLong(1);
    body4.writeInt(-1).writeInt(-1).writeByte(0);
    assertClosedBy(authenticatedDecoder(), withHeader(0x13, body4));
  }

  @Test
  void voteMessageIsCutToItsLimit() {
    PeerMessage.Vote v = new PeerMessage.Vote(GID, 2, false, 0, "40001", "x".repeat(5000));
    assertThat(v.message()).hasSize(PeerMessage.MAX_VOTE_MESSAGE_CHARS);
    EmbeddedChannel ch = authenticatedDecoder();
    ch.writeInbound(frame(v));
    assertThat((Object) ch.readInbound()).isEqualTo(v);
  }

  @Test
  void randomJunkNeverThrowsOutOfThePipeline() {
    Random random = new Random(42);
    for (int i = 0; i < 2000; i++) {
      EmbeddedChannel ch = i % 2 == 0 ? authenticatedDecoder()
          : new EmbeddedChannel(new PeerFrameDecoder(PeerTransportConfig.DEFAULT_MAX_FRAME_BODY_BYTES));
      byte[] junk = new byte[1 + random.nextInt(64)];
      random.nextBytes(junk);
      if (random.nextBoolean()) {
        junk[0] = (byte) (0x10 + random.nextInt(9)); // a valid type with a junk body
      }
      ch.writeInbound(Unpooled.wrappedBuffer(junk));
      ch.checkException();
      Object o;
      while ((o = ch.readInbound()) != null) {
        assertThat(o).isInstanceOf(PeerMessage.class);
      }
      ch.finishAndReleaseAll();
    }
  }

  private static void assertClosedBy(EmbeddedChannel ch, byte[] input) {
    // a valid frame right behind the bad input is discarded with it, not decoded
    ch.writeInbound(Unpooled.wrappedBuffer(Unpooled.wrappedBuffer(input), frame(new PeerMessage.Wound(GID))));
    ch.checkException();
    assertThat((Object) ch.readInbound()).isNull();
    assertThat(ch.isOpen()).isFalse();
  }

  private static byte[] header(int type, int length) {
    return new byte[] {(byte) type, (byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8), (byte) length};
  }

  private static byte[] withHeader(int type, ByteBuf body) {
    ByteBuf all = Unpooled.buffer().writeByte(type).writeInt(body.readableBytes()).writeBytes(body);
    return bytes(all);
  }

  private static byte[] bytes(ByteBuf buf) {
    byte[] b = new byte[buf.readableBytes()];
    buf.getBytes(buf.readerIndex(), b);
    return b;
  }

  /** ByteBuf content equality without depending on reader/writer index positions. */
  static final class ByteBufUtilEquals {
    static boolean equal(ByteBuf a, ByteBuf b) {
      return io.netty.buffer.ByteBufUtil.equals(a, b);
    }
  }
}
