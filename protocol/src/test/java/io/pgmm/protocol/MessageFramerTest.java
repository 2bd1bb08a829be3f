package io.pgmm.protocol;

import static io.pgmm.protocol.Bytes.bytes;
import static io.pgmm.protocol.FrontendMessagesTest.assertViolation;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.pgmm.protocol.Samples.Sample;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MessageFramerTest {

  private static final int MAX = 1 << 16;

  /** A client's whole conversation: StartupMessage, then every typed frontend sample. */
  private static byte[] clientStream() {
    List<byte[]> parts = new ArrayList<>();
    parts.add(Samples.frontend().get(0).wire());
    Samples.frontend().stream().filter(s -> !s.isStartup()).map(Sample::wire).forEach(parts::add);
    return TestCodec.concat(parts);
  }

  private static byte[] serverStream() {
    return TestCodec.concat(Samples.backend().stream().map(Sample::wire).toList());
  }

  /** Frames {@code stream} delivered in chunks of {@code chunkBytes}, decoding each frame. */
  private static List<Object> decodeClient(byte[] stream, int chunkBytes) {
    List<Object> messages = new ArrayList<>();
    MessageFramer framer = new MessageFramer(MAX);
    ByteBuf in = Unpooled.buffer();
    boolean startup = true;
    int kinds = 0;
    List<PasswordKind> passwordKinds = Samples.frontend().stream().filter(s -> !s.isStartup())
        .filter(s -> s.message() instanceof AuthenticationResponse).map(Sample::kind).toList();
    try {
      for (int at = 0; at < stream.length; at += chunkBytes) {
        in.writeBytes(stream, at, Math.min(chunkBytes, stream.length - at));
        while (true) {
          int before = in.readerIndex();
          Frame frame = startup ? framer.nextStartupFrame(in) : framer.nextFrame(in);
          if (frame == null) {
            assertThat(in.readerIndex()).as("nothing consumed while waiting").isEqualTo(before);
            break;
          }
          try (frame) {
            if (startup) {
              messages.add(FrontendDecoder.decodeStartup(frame.payload()));
              startup = false;
            } else {
              PasswordKind kind = frame.type() == 'p' ? passwordKinds.get(kinds++) : PasswordKind.PASSWORD;
              messages.add(FrontendDecoder.decode(frame.type(), frame.payload(), kind));
            }
          }
        }
      }
      assertThat(in.isReadable()).isFalse();
      return messages;
    } finally {
      in.release();
    }
  }

  private static List<Object> decodeServer(byte[] stream, int chunkBytes) {
    List<Object> messages = new ArrayList<>();
    MessageFramer framer = new MessageFramer(MAX);
    ByteBuf in = Unpooled.buffer();
    try {
      for (int at = 0; at < stream.length; at += chunkBytes) {
        in.writeBytes(stream, at, Math.min(chunkBytes, stream.length - at));
        for (Frame frame = framer.nextFrame(in); frame != null; frame = framer.nextFrame(in)) {
          try {
            messages.add(BackendDecoder.decode(frame.type(), frame.payload()));
          } finally {
            frame.close();
          }
        }
      }
      assertThat(in.isReadable()).isFalse();
      return messages;
    } finally {
      in.release();
    }
  }

  @Test
  void clientStreamFedOneByteAtATimeGivesTheSameMessagesAsAllAtOnce() {
    byte[] stream = clientStream();
    List<Object> whole = decodeClient(stream, stream.length);
    assertThat(whole).hasSize((int) Samples.frontend().stream().filter(s -> !s.isStartup()).count() + 1);
    assertThat(decodeClient(stream, 1)).isEqualTo(whole);
    assertThat(decodeClient(stream, 7)).isEqualTo(whole);
  }

  @Test
  void serverStreamFedOneByteAtATimeGivesTheSameMessagesAsAllAtOnce() {
    byte[] stream = serverStream();
    List<Object> whole = decodeServer(stream, stream.length);
    assertThat(whole).containsExactlyElementsOf(Samples.backend().stream().map(Sample::message).toList());
    assertThat(decodeServer(stream, 1)).isEqualTo(whole);
    assertThat(decodeServer(stream, 3)).isEqualTo(whole);
  }

  @Test
  void framePayloadIsARetainedSliceOfTheBody() {
    ByteBuf in = bytes().type('Q').i32(6).cstr("x").type('S').i32(4).buf();
    MessageFramer framer = new MessageFramer(MAX);
    Frame query = framer.nextFrame(in);
    assertThat(query.type()).isEqualTo((byte) 'Q');
    assertThat(query.payload().readableBytes()).isEqualTo(2);
    assertThat(in.refCnt()).isEqualTo(2);
    Frame sync = framer.nextFrame(in);
    assertThat(sync.payload().readableBytes()).isZero();
    assertThat(framer.nextFrame(in)).isNull();
    query.close();
    sync.close();
    assertThat(in.release()).isTrue();
  }

  @Test
  void startupFrameHasTypeZeroAndStartsWithTheCode() {
    ByteBuf in = bytes().i32(8).i32(80877103).buf();
    try (Frame frame = new MessageFramer(MAX).nextStartupFrame(in)) {
      assertThat(frame.isStartup()).isTrue();
      assertThat(frame.payload().getInt(0)).isEqualTo(SslRequest.CODE);
    } finally {
      in.release();
    }
  }

  @Test
  void startupBodyAboveTenThousandIsRejectedBeforeAnyBodyArrives() {
    ByteBuf in = bytes().i32(10_005).buf();
    try {
      assertViolation(() -> new MessageFramer(MAX).nextStartupFrame(in), "invalid length of startup packet: 10005");
      assertThat(in.readerIndex()).isZero();
    } finally {
      in.release();
    }
  }

  @Test
  void startupBodyOfTenThousandWaitsForItsBody() {
    ByteBuf in = bytes().i32(10_004).i32(196608).buf();
    try {
      assertThat(new MessageFramer(MAX).nextStartupFrame(in)).isNull();
      assertThat(in.readerIndex()).isZero();
    } finally {
      in.release();
    }
  }

  @Test
  void startupLengthBelowEightIsRejected() {
    for (int length : new int[] {7, 4, 0, -1, Integer.MIN_VALUE}) {
      ByteBuf in = bytes().i32(length).buf();
      try {
        assertViolation(() -> new MessageFramer(MAX).nextStartupFrame(in), "invalid length of startup packet");
      } finally {
        in.release();
      }
    }
  }

  @Test
  void startupWaitsForItsLengthWord() {
    ByteBuf in = bytes().i8(0).i8(0).i8(0).buf();
    try {
      assertThat(new MessageFramer(MAX).nextStartupFrame(in)).isNull();
    } finally {
      in.release();
    }
  }

  @Test
  void messageLongerThanTheLimitIsRejectedFromItsHeaderAlone() {
    ByteBuf in = bytes().type('d').i32(MAX + 1).buf();
    try {
      assertViolation(() -> new MessageFramer(MAX).nextFrame(in),
          "message type 'd' of 65537 bytes exceeds the limit of 65536 bytes");
      assertThat(in.readerIndex()).isZero();
    } finally {
      in.release();
    }
  }

  @Test
  void messageOfExactlyTheLimitWaitsForItsBody() {
    ByteBuf in = bytes().type('d').i32(MAX).buf();
    try {
      assertThat(new MessageFramer(MAX).nextFrame(in)).isNull();
    } finally {
      in.release();
    }
  }

  @Test
  void hugeLimitDoesNotOverflowWhileWaiting() {
    ByteBuf in = bytes().type('d').i32(Integer.MAX_VALUE).i8(1).buf();
    try {
      assertThat(new MessageFramer(Integer.MAX_VALUE).nextFrame(in)).isNull();
    } finally {
      in.release();
    }
  }

  @Test
  void messageLengthBelowFourIsRejected() {
    for (int length : new int[] {3, 0, -1, Integer.MIN_VALUE}) {
      ByteBuf in = bytes().type('Q').i32(length).buf();
      try {
        assertViolation(() -> new MessageFramer(MAX).nextFrame(in), "invalid message length " + length + " for message type 'Q'");
      } finally {
        in.release();
      }
    }
  }

  @Test
  void incompleteHeaderWaits() {
    ByteBuf in = bytes().type('Q').i8(0).i8(0).i8(0).buf();
    try {
      assertThat(new MessageFramer(MAX).nextFrame(in)).isNull();
      assertThat(in.readerIndex()).isZero();
    } finally {
      in.release();
    }
  }

  @Test
  void checkedLengthValidatesAHeaderForStreamingRelays() {
    assertThat(MessageFramer.checkedLength((byte) 'D', 4, 4)).isEqualTo(4);
    assertThat(MessageFramer.checkedLength((byte) 'D', 1000, 1000)).isEqualTo(1000);
    assertViolation(() -> MessageFramer.checkedLength((byte) 'D', 1001, 1000), "exceeds the limit of 1000 bytes");
    assertViolation(() -> MessageFramer.checkedLength((byte) 1, 3, 1000), "invalid message length 3 for message type 1");
    assertThat(MessageFramer.checkedStartupLength(8)).isEqualTo(8);
  }

  @Test
  void limitBelowTheSmallestMessageIsRefused() {
    assertThatThrownBy(() -> new MessageFramer(3)).isInstanceOf(IllegalArgumentException.class);
  }
}
