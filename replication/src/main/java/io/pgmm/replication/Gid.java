package io.pgmm.replication;

import java.util.Objects;

/**
 * The global id of a distributed transaction, also its PostgreSQL prepared-transaction gid:
 * {@code pgmm:<originNode>:<incarnation>:<seq>}. The origin is in the gid because a decoded
 * COMMIT PREPARED carries no origin; the incarnation (raised durably at every sidecar start)
 * keeps a gid from ever being reused.
 */
public record Gid(int originNode, long incarnation, long seq) implements Comparable<Gid> {

  public static final String PREFIX = "pgmm:";

  public Gid {
    if (originNode < 1 || incarnation < 0 || seq < 0) {
      throw new IllegalArgumentException("invalid gid parts " + originNode + ":" + incarnation + ":" + seq);
    }
  }

  /** The gid as PostgreSQL stores it (at most 200 bytes; this is far shorter). */
  public String text() {
    return PREFIX + originNode + ":" + incarnation + ":" + seq;
  }

  /** Parses a gid written by {@link #text()}; null for any other prepared transaction's gid. */
  public static Gid parseOrNull(String text) {
    if (text == null || !text.startsWith(PREFIX)) {
      return null;
    }
    String[] parts = text.substring(PREFIX.length()).split(":", -1);
    if (parts.length != 3) {
      return null;
    }
    try {
      return new Gid(Integer.parseInt(parts[0]), Long.parseLong(parts[1]), Long.parseLong(parts[2]));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  @Override
  public int compareTo(Gid o) {
    int c = Integer.compare(originNode, o.originNode);
    if (c == 0) {
      c = Long.compare(incarnation, o.incarnation);
    }
    return c != 0 ? c : Long.compare(seq, o.seq);
  }

  @Override
  public String toString() {
    return text();
  }
}
