package io.pgmm.replication.commit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ChangeReassemblerTest {

  /** The origin's byte stream: each change as length:int32 and its bytes. */
  private static byte[] stream(List<byte[]> changes) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] c : changes) {
      out.write(c.length >>> 24);
      out.write(c.length >>> 16);
      out.write(c.length >>> 8);
      out.write(c.length);
      out.write(c, 0, c.length);
    }
    return out.toByteArray();
  }

  private static List<byte[]> changes() {
    Random random = new Random(7);
    List<byte[]> changes = new ArrayList<>();
    for (int size : new int[] {10, 0, 1, 3000, 5, 70_000, 4}) {
      byte[] c = new byte[size];
      random.nextBytes(c);
      changes.add(c);
    }
    return changes;
  }

  private static List<byte[]> reassemble(byte[] stream, int chunkBytes, ChangeReassembler r) throws InterruptedException {
    List<byte[]> out = new ArrayList<>();
    for (int at = 0; at < stream.length; at += chunkBytes) {
      r.feed(Arrays.copyOfRange(stream, at, Math.min(stream.length, at + chunkBytes)), out::add);
    }
    return out;
  }

  @Test
  void changesCutAnywhereComeOutWhole() throws InterruptedException {
    List<byte[]> changes = changes();
    byte[] stream = stream(changes);
    for (int chunkBytes : new int[] {1, 2, 3, 4, 5, 7, 64, 1000, 65_536, stream.length}) {
      ChangeReassembler r = new ChangeReassembler();
      List<byte[]> out = reassemble(stream, chunkBytes, r);
      assertThat(out).as("chunks of " + chunkBytes).hasSameSizeAs(changes);
      for (int i = 0; i < changes.size(); i++) {
        assertThat(out.get(i)).as("change " + i + ", chunks of " + chunkBytes).isEqualTo(changes.get(i));
      }
      assertThat(r.atBoundary()).isTrue();
    }
  }

  @Test
  void aStreamCutInsideAChangeIsNotAtABoundary() throws InterruptedException {
    byte[] stream = stream(List.of(new byte[100]));
    ChangeReassembler inLength = new ChangeReassembler();
    inLength.feed(Arrays.copyOf(stream, 2), c -> { });
    assertThat(inLength.atBoundary()).isFalse();
    ChangeReassembler inBody = new ChangeReassembler();
    List<byte[]> out = new ArrayList<>();
    inBody.feed(Arrays.copyOf(stream, 50), out::add);
    assertThat(out).isEmpty();
    assertThat(inBody.atBoundary()).isFalse();
  }

  @Test
  void aNegativeLengthIsMalformed() {
    assertThatThrownBy(() -> new ChangeReassembler().feed(new byte[] {(byte) 0x80, 0, 0, 0}, c -> { }))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("malformed");
  }
}
