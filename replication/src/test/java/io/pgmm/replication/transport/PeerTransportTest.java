package io.pgmm.replication.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.pgmm.replication.Gid;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class PeerTransportTest {

  private static final byte[] SECRET = "correct horse battery staple 123".getBytes(StandardCharsets.UTF_8);
  private static final String HOST = "127.0.0.1";

  record Received(int from, PeerMessage message) {}

  private final List<PeerTransport> transports = new ArrayList<>();

  @BeforeAll
  static void quietLogs() {
    ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("io.netty")).setLevel(Level.INFO);
  }

  @AfterEach
  void closeAll() {
    transports.forEach(PeerTransport::close);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    }
  }

  private PeerTransport start(int self, Map<Integer, Integer> ports, byte[] secret, PeerMessageHandler handler) {
    Map<Integer, InetSocketAddress> peers = new HashMap<>();
    ports.forEach((node, port) -> {
      if (node != self) {
        peers.put(node, new InetSocketAddress(HOST, port));
      }
    });
    PeerTransport t = new PeerTransport(self, HOST, ports.get(self), secret, peers, handler).start();
    transports.add(t);
    return t;
  }

  @Test
  void threeNodesExchangeEveryMessageType() throws Exception {
    Map<Integer, Integer> ports = Map.of(1, freePort(), 2, freePort(), 3, freePort());
    Map<Integer, ConcurrentLinkedQueue<Received>> inbox = new HashMap<>();
    Map<Integer, PeerTransport> nodes = new HashMap<>();
    for (int n = 1; n <= 3; n++) {
      ConcurrentLinkedQueue<Received> q = new ConcurrentLinkedQueue<>();
      inbox.put(n, q);
      nodes.put(n, start(n, ports, SECRET, (from, m) -> q.add(new Received(from, m))));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> nodes.values().stream()
        .allMatch(t -> t.connectedPeers().size() == 2));

    List<PeerMessage> all = PeerCodecTest.oneOfEach();
    for (int from = 1; from <= 3; from++) {
      for (int to = 1; to <= 3; to++) {
        if (from != to) {
          for (PeerMessage m : all) {
            assertThat(nodes.get(from).send(to, m)).isTrue();
          }
        }
      }
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> inbox.values().stream()
        .allMatch(q -> q.size() == 2 * all.size()));
    for (int to = 1; to <= 3; to++) {
      for (int from = 1; from <= 3; from++) {
        if (from != to) {
          int sender = from;
          List<PeerMessage> got = inbox.get(to).stream().filter(r -> r.from() == sender).map(Received::message).toList();
          assertThat(got).as("from %d to %d", from, to).containsExactlyElementsOf(all);
        }
      }
    }
  }

  @Test
  void peerThatGoesAwayIsReportedAtOnceAndReconnectedWhenBack() throws Exception {
    Map<Integer, Integer> ports = Map.of(1, freePort(), 2, freePort());
    ConcurrentLinkedQueue<Received> inbox2 = new ConcurrentLinkedQueue<>();
    PeerTransport one = start(1, ports, SECRET, (from, m) -> { });
    PeerTransport two = start(2, ports, SECRET, (from, m) -> inbox2.add(new Received(from, m)));
    await().atMost(Duration.ofSeconds(10)).until(() -> one.isConnected(2) && two.isConnected(1));

    two.close();
    await().atMost(Duration.ofSeconds(5)).until(() -> !one.isConnected(2));
    long startNanos = System.nanoTime();
    boolean sent = one.send(2, new PeerMessage.Wound(new Gid(1, 1, 1)));
    long elapsedMillis = (System.nanoTime() - startNanos) / 1_000_000;
    assertThat(sent).isFalse();
    assertThat(elapsedMillis).isLessThan(50);
    assertThatThrownBy(() -> one.sendOrThrow(2, new PeerMessage.Wound(new Gid(1, 1, 1))))
        .isInstanceOf(PeerUnavailableException.class)
        .hasMessageContaining("peer node 2")
        .hasMessageContaining(String.valueOf(ports.get(2)));
    assertThat(one.awaitWritable(2, 10)).isFalse();

    ConcurrentLinkedQueue<Received> inbox2b = new ConcurrentLinkedQueue<>();
    PeerTransport twoAgain = start(2, ports, SECRET, (from, m) -> inbox2b.add(new Received(from, m)));
    // backoff is capped at 2 s, so the redial comes within about 2 s
    await().atMost(Duration.ofSeconds(6)).until(() -> one.isConnected(2) && twoAgain.isConnected(1));
    assertThat(one.send(2, new PeerMessage.Decision(new Gid(1, 1, 1), true))).isTrue();
    await().atMost(Duration.ofSeconds(5)).until(() -> inbox2b.size() == 1);
    assertThat(inbox2b.peek()).isEqualTo(new Received(1, new PeerMessage.Decision(new Gid(1, 1, 1), true)));
  }

  @Test
  void sendToAPeerThatNeverCameUpReturnsFalsePromptly() throws Exception {
    Map<Integer, Integer> ports = Map.of(1, freePort(), 2, freePort());
    PeerTransport one = start(1, ports, SECRET, (from, m) -> { });
    long startNanos = System.nanoTime();
    for (int i = 0; i < 100; i++) {
      assertThat(one.send(2, new PeerMessage.Wound(new Gid(1, 1, i)))).isFalse();
    }
    assertThat((System.nanoTime() - startNanos) / 1_000_000).isLessThan(100);
    assertThat(one.isConnected(2)).isFalse();
    assertThatThrownBy(() -> one.send(9, new PeerMessage.Wound(new Gid(1, 1, 1))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("node 9");
  }

  @Test
  void peerWithTheWrongSecretNeverConnectsAndGetsNothing() throws Exception {
    Map<Integer, Integer> ports = Map.of(1, freePort(), 2, freePort());
    ConcurrentLinkedQueue<Received> inbox1 = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<Received> inboxEvil = new ConcurrentLinkedQueue<>();
    PeerTransport one = start(1, ports, SECRET, (from, m) -> inbox1.add(new Received(from, m)));
    byte[] wrong = "the wrong secret, same length!!!".getBytes(StandardCharsets.UTF_8);
    PeerTransport evil = start(2, ports, wrong, (from, m) -> inboxEvil.add(new Received(from, m)));
    Thread.sleep(1500); // several dial attempts each way
    assertThat(one.isConnected(2)).isFalse();
    assertThat(evil.isConnected(1)).isFalse();
    assertThat(one.send(2, new PeerMessage.Wound(new Gid(1, 1, 1)))).isFalse();
    assertThat(evil.send(1, new PeerMessage.Wound(new Gid(2, 1, 1)))).isFalse();
    assertThat(inbox1).isEmpty();
    assertThat(inboxEvil).isEmpty();
  }

  @Test
  void rawClientWithAForgedAuthIsClosedAndItsMessageNeverDelivered() throws Exception {
    Map<Integer, Integer> ports = Map.of(1, freePort(), 2, freePort());
    ConcurrentLinkedQueue<Received> inbox1 = new ConcurrentLinkedQueue<>();
    start(1, ports, SECRET, (from, m) -> inbox1.add(new Received(from, m)));
    try (Socket s = new Socket(HOST, ports.get(1))) {
      s.setSoTimeout(5000);
      DataInputStream in = new DataInputStream(s.getInputStream());
      byte[] serverHello = new byte[FrameType.HEADER_BYTES + Handshake.HELLO_BYTES];
      in.readFully(serverHello);
      assertThat(serverHello[0]).isEqualTo(FrameType.HELLO.code);
      ByteBuf out = Unpooled.buffer();
      PeerCodec.encodeFrame(new Handshake.Hello(Handshake.PROTOCOL_VERSION, 2, Handshake.newNonce()), out);
      PeerCodec.encodeFrame(new Handshake.Auth(new byte[Handshake.MAC_BYTES]), out);
      PeerCodec.encodeFrame(new PeerMessage.Decision(new Gid(2, 1, 1), true), out);
      byte[] bytes = new byte[out.readableBytes()];
      out.readBytes(bytes);
      s.getOutputStream().write(bytes);
      s.getOutputStream().flush();
      assertThat(readUntilClosed(in)).isTrue();
    }
    Thread.sleep(200);
    assertThat(inbox1).isEmpty();
  }

  @Test
  void rawSocketSendingJunkIsClosed() throws Exception {
    Map<Integer, Integer> ports = Map.of(1, freePort(), 2, freePort());
    ConcurrentLinkedQueue<Received> inbox1 = new ConcurrentLinkedQueue<>();
    start(1, ports, SECRET, (from, m) -> inbox1.add(new Received(from, m)));
    try (Socket s = new Socket(HOST, ports.get(1))) {
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      out.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      assertThat(readUntilClosed(s.getInputStream())).isTrue();
    }
    try (Socket s = new Socket(HOST, ports.get(1))) {
      s.setSoTimeout(5000);
      // a frame header claiming 2 GB: closed before anything is buffered
      s.getOutputStream().write(new byte[] {0x11, 0x7F, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF});
      assertThat(readUntilClosed(s.getInputStream())).isTrue();
    }
    assertThat(inbox1).isEmpty();
  }

  @Test
  void largeStreamOfChunksUsesBoundedOutboundMemory() throws Exception {
    Map<Integer, Integer> ports = Map.of(1, freePort(), 2, freePort());
    AtomicLong receivedBytes = new AtomicLong();
    AtomicLong receivedChunks = new AtomicLong();
    PeerTransport one = start(1, ports, SECRET, (from, m) -> { });
    start(2, ports, SECRET, (from, m) -> {
      if (m instanceof PeerMessage.ChangeChunk c) {
        receivedBytes.addAndGet(c.data().length);
        receivedChunks.incrementAndGet();
      }
    });
    await().atMost(Duration.ofSeconds(10)).until(() -> one.isConnected(2));
    Gid gid = new Gid(1, 1, 1);
    byte[] data = new byte[PeerMessage.MAX_CHUNK_DATA_BYTES];
    int chunks = 128; // 128 MiB
    long maxPending = 0;
    long bound = PeerTransportConfig.defaults().writeHighWaterMarkBytes() + 2L * (data.length + 64);
    for (int i = 0; i < chunks; i++) {
      assertThat(one.awaitWritable(2, 10_000)).as("writable before chunk %d", i).isTrue();
      assertThat(one.send(2, new PeerMessage.ChangeChunk(gid, i, data))).isTrue();
      maxPending = Math.max(maxPending, one.pendingWriteBytes(2));
      assertThat(one.pendingWriteBytes(2)).isLessThanOrEqualTo(bound);
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> receivedChunks.get() == chunks);
    assertThat(receivedBytes.get()).isEqualTo((long) chunks * data.length);
    assertThat(maxPending).isLessThanOrEqualTo(bound);
  }

  @Test
  void aReceiverThatStopsReceivingHoldsUpItsPeerUntilItResumes() throws Exception {
    Map<Integer, Integer> ports = Map.of(1, freePort(), 2, freePort());
    AtomicLong receivedWounds = new AtomicLong();
    AtomicLong receivedChunks = new AtomicLong();
    PeerTransport one = start(1, ports, SECRET, (from, m) -> { });
    PeerTransport two = start(2, ports, SECRET,
        (from, m) -> (m instanceof PeerMessage.ChangeChunk ? receivedChunks : receivedWounds).incrementAndGet());
    await().atMost(Duration.ofSeconds(10)).until(() -> one.isConnected(2) && two.isConnected(1));
    // Node 2 knows node 1's connection once a message came over it.
    await().atMost(Duration.ofSeconds(10))
        .until(() -> one.send(2, new PeerMessage.Wound(new Gid(1, 1, 0))) && receivedWounds.get() > 0);
    long before = receivedChunks.get();
    two.setReceiving(1, false);
    byte[] data = new byte[64 * 1024];
    int chunks = 512; // 32 MiB: far more than the sockets' buffers hold
    for (int i = 0; i < chunks; i++) {
      assertThat(one.send(2, new PeerMessage.ChangeChunk(new Gid(1, 1, 1), i, data))).isTrue();
    }
    await("the sender's queue backs up").atMost(Duration.ofSeconds(10)).until(() -> one.pendingWriteBytes(2) > 0);
    await("nothing more is delivered while paused").during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5))
        .until(() -> receivedChunks.get() - before < chunks);
    two.setReceiving(1, true);
    await("everything arrives once resumed").atMost(Duration.ofSeconds(30))
        .until(() -> receivedChunks.get() - before == chunks);
  }

  @Test
  void awaitWritableOnAnEventLoopIsRefused() throws Exception {
    Map<Integer, Integer> ports = Map.of(1, freePort(), 2, freePort());
    List<Throwable> errors = new ArrayList<>();
    PeerTransport[] one = new PeerTransport[1];
    one[0] = start(1, ports, SECRET, (from, m) -> {
      try {
        one[0].awaitWritable(2, 1);
      } catch (Throwable e) {
        synchronized (errors) {
          errors.add(e);
        }
      }
    });
    PeerTransport two = start(2, ports, SECRET, (from, m) -> { });
    await().atMost(Duration.ofSeconds(10)).until(() -> two.isConnected(1));
    two.send(1, new PeerMessage.Wound(new Gid(2, 1, 1)));
    await().atMost(Duration.ofSeconds(5)).until(() -> {
      synchronized (errors) {
        return errors.size() == 1;
      }
    });
    assertThat(errors.get(0)).isInstanceOf(IllegalStateException.class).hasMessageContaining("event loop");
  }

  /** Reads until EOF (true) or a reset; false if the socket stays open past its read timeout. */
  private static boolean readUntilClosed(InputStream in) throws IOException {
    byte[] buf = new byte[4096];
    try {
      while (in.read(buf) >= 0) {
        // the server's Hello and nothing else
      }
      return true;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException reset) {
      return true;
    }
  }
}
