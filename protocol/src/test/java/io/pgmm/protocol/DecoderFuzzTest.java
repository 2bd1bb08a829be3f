package io.pgmm.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.pgmm.protocol.Samples.Sample;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Whatever bytes arrive, framer and decoders end in one of three ways: a message, "need more
 * bytes" (null, nothing consumed), or {@link ProtocolViolation}. Any other exception fails the
 * test. Every message that does decode must encode again and decode to itself, so a decoder
 * never builds a record the encoder would refuse.
 *
 * <p>Inputs come from a seeded {@link Random}, one seed per try: a failure names its seed, and
 * {@code -Dpgmm.fuzz.seed=N} replays that one try.
 */
class DecoderFuzzTest {

  private static final int MAX_MESSAGE_BYTES = 1 << 16;
  private static final int TRIES = 2000;
  private static final long BASE_SEED = Long.getLong("pgmm.fuzz.seed", 0x5eed_0000L);
  private static final int[] EDGE_VALUES = {-2, -1, 0, 1, 3, 4, 5, 7, 8, 9, 0xFFFF, 10_000, 10_001,
      MAX_MESSAGE_BYTES, MAX_MESSAGE_BYTES + 1, Integer.MAX_VALUE, Integer.MIN_VALUE};

  enum Op { FLIP_BIT, SET_BYTE, SET_INT, SET_OWN_LENGTH, TRUNCATE, INSERT, DELETE }

  record Mutation(Op op, int position, int value) {}

  @Test
  void randomBytesAsAClientStream() {
    forEachTry(r -> feed(randomBytes(r, 300), true));
  }

  @Test
  void randomBytesAsATypedStream() {
    forEachTry(r -> feed(randomBytes(r, 300), false));
  }

  @Test
  void randomBodyUnderEveryKnownType() {
    List<Byte> codes = typeCodes();
    forEachTry(r -> {
      byte type = codes.get(r.nextInt(codes.size()));
      ByteBuf payload = Unpooled.wrappedBuffer(randomBytes(r, 80));
      try {
        decodeWithEveryDecoder(type, payload);
        outcome(() -> roundTripStartup(FrontendDecoder.decodeStartup(payload)));
      } finally {
        payload.release();
      }
    });
  }

  @Test
  void mutatedMessage() {
    List<Sample> samples = Stream.concat(Samples.frontend().stream(), Samples.backend().stream()).toList();
    forEachTry(r -> {
      Sample sample = samples.get(r.nextInt(samples.size()));
      feed(mutate(sample.wire(), mutations(r), sample.isStartup() ? 0 : 1), sample.isStartup());
    });
  }

  @Test
  void mutatedConversation() {
    List<byte[]> conversations = conversations();
    forEachTry(r -> {
      byte[] conversation = conversations.get(r.nextInt(conversations.size()));
      boolean client = conversation.length > 0 && conversation[0] == 0; // the client stream opens with a startup length
      feed(mutate(conversation, mutations(r), client ? 0 : 1), client);
    });
  }

  /** Runs {@code body} once per seed; a failure names the seed that replays it. */
  private static void forEachTry(Consumer<Random> body) {
    int tries = System.getProperty("pgmm.fuzz.seed") == null ? TRIES : 1;
    for (int i = 0; i < tries; i++) {
      long seed = BASE_SEED + i;
      try {
        body.accept(new Random(seed));
      } catch (RuntimeException | AssertionError e) {
        throw new AssertionError("failed with -Dpgmm.fuzz.seed=" + seed, e);
      }
    }
  }

  private static byte[] randomBytes(Random r, int maxLength) {
    byte[] b = new byte[r.nextInt(maxLength + 1)];
    r.nextBytes(b);
    return b;
  }

  /** Frames the stream to its end, decoding each frame every way it could be read. */
  private static void feed(byte[] stream, boolean startupFirst) {
    MessageFramer framer = new MessageFramer(MAX_MESSAGE_BYTES);
    ByteBuf in = Unpooled.wrappedBuffer(stream);
    try {
      boolean startup = startupFirst;
      while (true) {
        int before = in.readerIndex();
        Frame frame = startup ? framer.nextStartupFrame(in) : framer.nextFrame(in);
        if (frame == null) {
          assertThat(in.readerIndex()).isEqualTo(before);
          return;
        }
        try {
          if (startup) {
            outcome(() -> roundTripStartup(FrontendDecoder.decodeStartup(frame.payload())));
            startup = false;
          } else {
            decodeWithEveryDecoder(frame.type(), frame.payload());
          }
          assertThat(frame.payload().readerIndex()).as("decoders leave the payload alone").isZero();
        } finally {
          frame.close();
        }
      }
    } catch (ProtocolViolation expected) {
      assertThat(expected.getMessage()).isNotBlank();
    } finally {
      assertThat(in.refCnt()).as("every frame released").isEqualTo(1);
      in.release();
    }
  }

  private static void decodeWithEveryDecoder(byte type, ByteBuf payload) {
    for (PasswordKind kind : PasswordKind.values()) {
      outcome(() -> {
        TypedFrontendMessage m = FrontendDecoder.decode(type, payload, kind);
        assertThat(TestCodec.frontend(TestCodec.encode(m), kind)).isEqualTo(m);
        return m;
      });
    }
    outcome(() -> {
      BackendMessage m = BackendDecoder.decode(type, payload);
      assertThat(TestCodec.backend(TestCodec.encode(m))).isEqualTo(m);
      return m;
    });
  }

  private static StartupPacket roundTripStartup(StartupPacket m) {
    assertThat(TestCodec.startup(TestCodec.encode(m))).isEqualTo(m);
    return m;
  }

  /** A message or a ProtocolViolation; anything else propagates and fails the property. */
  private static void outcome(Supplier<?> decode) {
    try {
      assertThat(decode.get()).isNotNull();
    } catch (ProtocolViolation expected) {
      assertThat(expected.getMessage()).isNotBlank();
    }
  }

  private static byte[] mutate(byte[] wire, List<Mutation> mutations, int ownLengthAt) {
    byte[] b = wire;
    for (Mutation m : mutations) {
      int at = b.length == 0 ? 0 : Math.floorMod(m.position(), b.length);
      switch (m.op()) {
        case FLIP_BIT -> {
          if (b.length > 0) {
            b = b.clone();
            b[at] ^= (byte) (1 << Math.floorMod(m.value(), 8));
          }
        }
        case SET_BYTE -> {
          if (b.length > 0) {
            b = b.clone();
            b[at] = (byte) m.value();
          }
        }
        case SET_INT -> b = setInt(b, at, m.value());
        case SET_OWN_LENGTH -> b = setInt(b, ownLengthAt, m.value());
        case TRUNCATE -> b = Arrays.copyOf(b, at);
        case INSERT -> {
          byte[] c = new byte[b.length + 1];
          System.arraycopy(b, 0, c, 0, at);
          c[at] = (byte) m.value();
          System.arraycopy(b, at, c, at + 1, b.length - at);
          b = c;
        }
        case DELETE -> {
          if (b.length > 0) {
            byte[] c = new byte[b.length - 1];
            System.arraycopy(b, 0, c, 0, at);
            System.arraycopy(b, at + 1, c, at, b.length - at - 1);
            b = c;
          }
        }
      }
    }
    return b;
  }

  private static byte[] setInt(byte[] b, int at, int value) {
    if (at + 4 > b.length) {
      return b;
    }
    byte[] c = b.clone();
    c[at] = (byte) (value >>> 24);
    c[at + 1] = (byte) (value >>> 16);
    c[at + 2] = (byte) (value >>> 8);
    c[at + 3] = (byte) value;
    return c;
  }

  private static List<Byte> typeCodes() {
    List<Byte> codes = new ArrayList<>();
    Arrays.stream(FrontendType.values()).forEach(t -> codes.add(t.code()));
    Arrays.stream(BackendType.values()).forEach(t -> codes.add(t.code()));
    codes.add((byte) 0);
    codes.add((byte) 'z');
    return codes;
  }

  private static List<byte[]> conversations() {
    List<byte[]> client = new ArrayList<>();
    client.add(Samples.frontend().get(0).wire());
    Samples.frontend().stream().filter(s -> !s.isStartup()).map(Sample::wire).forEach(client::add);
    byte[] server = TestCodec.concat(Samples.backend().stream().map(Sample::wire).toList());
    return List.of(TestCodec.concat(client), server);
  }

  /** One to four mutations; half of the values are edges of the length checks. */
  private static List<Mutation> mutations(Random r) {
    List<Mutation> list = new ArrayList<>();
    int n = 1 + r.nextInt(4);
    for (int i = 0; i < n; i++) {
      Op op = Op.values()[r.nextInt(Op.values().length)];
      int value = r.nextBoolean() ? EDGE_VALUES[r.nextInt(EDGE_VALUES.length)] : r.nextInt();
      list.add(new Mutation(op, r.nextInt(4097), value));
    }
    return list;
  }
}
