package io.pgmm.replication.commit;

import io.pgmm.replication.transport.PeerMessage;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replays one peer's transactions in the order its messages came, on a thread of its own so the
 * network threads never block on PostgreSQL. When {@value #PAUSE_AT} messages wait, this node
 * stops reading from that peer until half of them are done: a slow apply holds up its peer
 * through TCP, never a network thread (which serves other peers' votes and decisions too).
 * Messages already read when reading stops still arrive (at most one receive buffer's worth);
 * beyond {@value #HARD_LIMIT} the connection is dropped instead of queueing more: its origin then
 * rolls back what was on its way, and nothing grows without bound.
 */
final class PeerFeeder implements Runnable {

  private static final Logger log = LoggerFactory.getLogger(PeerFeeder.class);
  static final int PAUSE_AT = 256;
  static final int HARD_LIMIT = 4 * PAUSE_AT;

  /** What the feeder does with each message, in order. */
  interface Handler {
    void handle(int peer, PeerMessage message) throws InterruptedException;
  }

  private final int peer;
  private final PeerLink link;
  private final Handler handler;
  private final BlockingQueue<PeerMessage> queue = new LinkedBlockingQueue<>(HARD_LIMIT);
  private final AtomicBoolean paused = new AtomicBoolean();
  final AtomicLong enqueued = new AtomicLong();
  final AtomicLong handled = new AtomicLong();
  private final Thread thread;

  PeerFeeder(int peer, PeerLink link, Handler handler) {
    this.peer = peer;
    this.link = link;
    this.handler = handler;
    this.thread = new Thread(this, "pgmm-apply-feeder-" + peer);
    thread.setDaemon(true);
    thread.start();
  }

  /** True when nothing from this peer waits or is being handled. */
  boolean idle() {
    return enqueued.get() == handled.get();
  }

  void enqueue(PeerMessage m) {
    if (!queue.offer(m)) {
      log.error("node {} sent {} messages past this node's backpressure; dropping the connection (what was on its"
          + " way is rolled back by its origin)", peer, HARD_LIMIT - PAUSE_AT);
      link.disconnect(peer);
      return;
    }
    enqueued.incrementAndGet();
    if (queue.size() >= PAUSE_AT && paused.compareAndSet(false, true)) {
      link.setReceiving(peer, false);
    }
  }

  @Override
  public void run() {
    while (!Thread.currentThread().isInterrupted()) {
      try {
        PeerMessage m = queue.take();
        if (queue.size() <= PAUSE_AT / 2 && paused.compareAndSet(true, false)) {
          link.setReceiving(peer, true);
        }
        try {
          handler.handle(peer, m);
        } finally {
          handled.incrementAndGet();
        }
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        log.error("applying a message from node {} failed", peer, e);
      }
    }
  }

  void close() {
    thread.interrupt();
  }
}
