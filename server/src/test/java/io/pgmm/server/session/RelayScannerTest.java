package io.pgmm.server.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.pgmm.protocol.ProtocolViolation;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RelayScannerTest {

  private static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;

  /** Records the whole messages it was shown; wants 'Q' and 'Z' whole, everything else streamed. */
  private static final class Recorder implements RelayScanner.Inspector {
    final List<String> seen = new ArrayList<>();

    @Override
    public boolean wantsWhole(byte type) {
      return type == 'Q' || type == 'Z';
    }

    @Override
    public boolean inspect(byte type, ByteBuf message) {
      seen.add((char) type + ":" + ClientSession.payload(message).toString(StandardCharsets.UTF_8));
      return type != 'Z' || !dropReadyForQuery;
    }

    boolean dropReadyForQuery;
  }

  private static byte[] message(char type, String body) {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ByteBuf buf = Unpooled.buffer().writeByte(type).writeInt(4 + b.length).writeBytes(b);
    byte[] out = new byte[buf.readableBytes()];
    buf.readBytes(out);
    return out;
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  /** Everything the scanner forwards for one read, as bytes. */
  private static byte[] scan(RelayScanner scanner, ByteBuf in) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    scanner.scan(ALLOC, in, slice -> {
      byte[] b = new byte[slice.readableBytes()];
      slice.readBytes(b);
      slice.release();
      out.writeBytes(b);
    });
    return out.toByteArray();
  }

  @Test
  void forwardsEveryByteUnchangedAndShowsWantedMessagesWhenFedOneByteAtATime() {
    byte[] stream = concat(message('Q', "select 1\0"), message('D', "x".repeat(300)), message('Z', "I"), message('C', "SELECT 1\0"));
    Recorder recorder = new Recorder();
    RelayScanner scanner = new RelayScanner(1 << 20, recorder);
    ByteArrayOutputStream forwarded = new ByteArrayOutputStream();
    for (byte b : stream) {
      forwarded.writeBytes(scan(scanner, Unpooled.wrappedBuffer(new byte[] {b})));
    }
    assertThat(forwarded.toByteArray()).isEqualTo(stream);
    assertThat(recorder.seen).containsExactly("Q:select 1\0", "Z:I");
    assertThat(scanner.heldBytes()).isZero();
  }

  @Test
  void streamsUninspectedMessagesWithoutHoldingThemWhole() {
    byte[] big = message('D', "y".repeat(100_000));
    RelayScanner scanner = new RelayScanner(1 << 20, new Recorder());
    byte[] firstHalf = java.util.Arrays.copyOfRange(big, 0, 50_000);
    byte[] forwarded = scan(scanner, Unpooled.wrappedBuffer(firstHalf));
    assertThat(forwarded).isEqualTo(firstHalf);
    assertThat(scanner.heldBytes()).isZero();
  }

  @Test
  void holdsAnInspectedMessageUntilItIsWhole() {
    byte[] query = message('Q', "select 42\0");
    Recorder recorder = new Recorder();
    RelayScanner scanner = new RelayScanner(1 << 20, recorder);
    assertThat(scan(scanner, Unpooled.wrappedBuffer(query, 0, 7))).isEmpty();
    assertThat(scanner.heldBytes()).isEqualTo(7);
    assertThat(scan(scanner, Unpooled.wrappedBuffer(query, 7, query.length - 7))).isEqualTo(query);
    assertThat(recorder.seen).containsExactly("Q:select 42\0");
  }

  @Test
  void rejectsALengthAboveTheLimitFromTheHeaderAlone() {
    RelayScanner scanner = new RelayScanner(4096, new Recorder());
    ByteBuf header = Unpooled.buffer().writeByte('Q').writeInt(1 << 20);
    assertThatThrownBy(() -> scan(scanner, header)).isInstanceOf(ProtocolViolation.class);
  }

  @Test
  void leavesOutTheMessagesTheInspectorTakesAndForwardsTheRestInOrder() {
    byte[] before = message('D', "row");
    byte[] ready = message('Z', "I");
    byte[] after = message('C', "SELECT 1\0");
    Recorder recorder = new Recorder();
    recorder.dropReadyForQuery = true;
    RelayScanner scanner = new RelayScanner(1 << 20, recorder);
    assertThat(scan(scanner, Unpooled.wrappedBuffer(concat(before, ready, after)))).isEqualTo(concat(before, after));
    assertThat(recorder.seen).containsExactly("Z:I");
  }

  @Test
  void rejectsALengthBelowFour() {
    RelayScanner scanner = new RelayScanner(4096, new Recorder());
    ByteBuf header = Unpooled.buffer().writeByte('D').writeInt(3);
    assertThatThrownBy(() -> scan(scanner, header)).isInstanceOf(ProtocolViolation.class);
  }
}
