package io.pgmm.it.support;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Free loopback ports for servers that bind later (PostgreSQL, peer transports). They come from
 * below Linux's ephemeral range (32768–60999): a port the kernel hands out for ServerSocket(0)
 * can be taken by any outgoing connection before the server binds it (seen in CI: a peer
 * transport failed with "Address already in use"). A cursor keeps one JVM from handing out the
 * same port twice.
 */
public final class Ports {
  private static final int FIRST = 20_000;
  private static final int LAST = 32_000;
  private static final AtomicInteger NEXT = new AtomicInteger(FIRST + ThreadLocalRandom.current().nextInt(LAST - FIRST));

  private Ports() {}

  public static int free() {
    for (int attempt = 0; attempt < LAST - FIRST; attempt++) {
      int port = FIRST + Math.floorMod(NEXT.getAndIncrement() - FIRST, LAST - FIRST);
      try (ServerSocket s = new ServerSocket()) {
        s.setReuseAddress(false);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        return port;
      } catch (IOException taken) {
        // in use: try the next one
      }
    }
    throw new IllegalStateException("no free loopback port between " + FIRST + " and " + LAST);
  }
}
