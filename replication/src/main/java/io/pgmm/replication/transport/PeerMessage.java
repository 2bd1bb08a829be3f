package io.pgmm.replication.transport;

import io.pgmm.replication.Gid;
import java.util.Arrays;
import java.util.Objects;

/**
 * A message between sidecars in the distributed commit (DESIGN, commit path steps 3–8). Messages are data:
 * no I/O, no sockets. Every field is validated on construction, so a decoded message is as valid as a
 * built one. The wire form is in {@link PeerCodec}.
 *
 * <pre>
 *  origin O                               peer P
 *    Prepare{gid, generation, prepareTs, data} ──►   a transaction that fits one chunk, or:
 *    PrepareBegin{gid, generation, prepareTs} ──►
 *    ChangeChunk{gid, seq 0..n-1, data}  ──►   (streamed; see PeerTransport#awaitWritable)
 *    PrepareEnd{gid, chunkCount n}       ──►
 *                                        ◄──  Vote{gid, voter, yes, voterTs, sqlState, message}
 *    PreCommit{gid, generation, ballot, commitTs} ──►
 *                                        ◄──  PreCommitAck{gid, voter, accepted}
 *    Decision{gid, commit}               ──►
 *                                        ◄──  DecisionAck{gid, voter}
 *  any node ── Wound{gid} ──► origin of gid   (an older transaction needs gid's rows)
 *  any node ── RunStatement{id, statement} ──► peer;  ◄── StatementDone{id, node, sqlState, message}
 * </pre>
 */
public sealed interface PeerMessage {

  Gid gid();

  /** Largest {@link ChangeChunk#data()}; the sender cuts a transaction's changes into chunks this big at most. */
  int MAX_CHUNK_DATA_BYTES = 1 << 20;
  /** Longest {@link Vote#message()} in chars; longer messages are cut (UTF-8 at most 3 bytes per char here). */
  int MAX_VOTE_MESSAGE_CHARS = 1000;
  /** Largest {@link RunStatement#statement()} in UTF-8 bytes. */
  int MAX_STATEMENT_BYTES = 1 << 20;

  record PrepareBegin(Gid gid, long generation, long prepareTs) implements PeerMessage {
    public PrepareBegin {
      Objects.requireNonNull(gid, "gid");
      requireNonNegative(generation, "generation");
      requireNonNegative(prepareTs, "prepareTs");
    }
  }

  /**
   * A whole transaction whose changes fit one chunk: {@link PrepareBegin}, one {@link ChangeChunk} and
   * {@link PrepareEnd} in one message (most transactions are small; three messages cost three times the work).
   */
  record Prepare(Gid gid, long generation, long prepareTs, byte[] data) implements PeerMessage {
    public Prepare {
      Objects.requireNonNull(gid, "gid");
      Objects.requireNonNull(data, "data");
      requireNonNegative(generation, "generation");
      requireNonNegative(prepareTs, "prepareTs");
      if (data.length > MAX_CHUNK_DATA_BYTES) {
        throw new IllegalArgumentException("prepare of " + data.length + " bytes exceeds " + MAX_CHUNK_DATA_BYTES);
      }
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Prepare p && gid.equals(p.gid) && generation == p.generation && prepareTs == p.prepareTs
          && Arrays.equals(data, p.data);
    }

    @Override
    public int hashCode() {
      return Objects.hash(gid, generation, prepareTs, Arrays.hashCode(data));
    }

    @Override
    public String toString() {
      return "Prepare[gid=" + gid + ", generation=" + generation + ", prepareTs=" + prepareTs + ", dataBytes="
          + data.length + "]";
    }
  }

  /** One piece of a transaction's decoded changes, in order {@code seq} = 0, 1, …; opaque to the transport. */
  record ChangeChunk(Gid gid, int seq, byte[] data) implements PeerMessage {
    public ChangeChunk {
      Objects.requireNonNull(gid, "gid");
      Objects.requireNonNull(data, "data");
      requireNonNegative(seq, "seq");
      if (data.length > MAX_CHUNK_DATA_BYTES) {
        throw new IllegalArgumentException("chunk of " + data.length + " bytes exceeds " + MAX_CHUNK_DATA_BYTES);
      }
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof ChangeChunk c && gid.equals(c.gid) && seq == c.seq && Arrays.equals(data, c.data);
    }

    @Override
    public int hashCode() {
      return Objects.hash(gid, seq, Arrays.hashCode(data));
    }

    @Override
    public String toString() {
      return "ChangeChunk[gid=" + gid + ", seq=" + seq + ", dataBytes=" + data.length + "]";
    }
  }

  record PrepareEnd(Gid gid, int chunkCount) implements PeerMessage {
    public PrepareEnd {
      Objects.requireNonNull(gid, "gid");
      requireNonNegative(chunkCount, "chunkCount");
    }
  }

  /**
   * A peer's vote. Yes carries the voter's clock ({@code voterTs}); No carries a SQLSTATE (5 characters) and a
   * message for the client. {@code sqlState} and {@code message} may be null (for Yes); a message longer than
   * {@link #MAX_VOTE_MESSAGE_CHARS} is cut.
   */
  record Vote(Gid gid, int voterNode, boolean yes, long voterTs, String sqlState, String message)
      implements PeerMessage {
    public Vote {
      Objects.requireNonNull(gid, "gid");
      requireNode(voterNode);
      requireNonNegative(voterTs, "voterTs");
      requireSqlState(sqlState);
      message = cut(message);
    }
  }

  record PreCommit(Gid gid, long generation, long ballot, long commitTs) implements PeerMessage {
    public PreCommit {
      Objects.requireNonNull(gid, "gid");
      requireNonNegative(generation, "generation");
      requireNonNegative(ballot, "ballot");
      requireNonNegative(commitTs, "commitTs");
    }
  }

  record PreCommitAck(Gid gid, int voterNode, boolean accepted) implements PeerMessage {
    public PreCommitAck {
      Objects.requireNonNull(gid, "gid");
      requireNode(voterNode);
    }
  }

  record Decision(Gid gid, boolean commit) implements PeerMessage {
    public Decision {
      Objects.requireNonNull(gid, "gid");
    }
  }

  record DecisionAck(Gid gid, int voterNode) implements PeerMessage {
    public DecisionAck {
      Objects.requireNonNull(gid, "gid");
      requireNode(voterNode);
    }
  }

  record Wound(Gid gid) implements PeerMessage {
    public Wound {
      Objects.requireNonNull(gid, "gid");
    }
  }

  /**
   * A statement that cannot run in a transaction block (CREATE INDEX CONCURRENTLY), in the apply's DDL message
   * format (search_path and role, then the SQL), for the peer to run on its own; {@code gid} names the request.
   */
  record RunStatement(Gid gid, String statement) implements PeerMessage {
    public RunStatement {
      Objects.requireNonNull(gid, "gid");
      Objects.requireNonNull(statement, "statement");
      int bytes = statement.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
      if (bytes > MAX_STATEMENT_BYTES) {
        throw new IllegalArgumentException("statement of " + bytes + " bytes is over the limit");
      }
    }
  }

  /** How a {@link RunStatement} ended on {@code node}: {@code sqlState} null when it succeeded. */
  record StatementDone(Gid gid, int node, String sqlState, String message) implements PeerMessage {
    public StatementDone {
      Objects.requireNonNull(gid, "gid");
      requireNode(node);
      requireSqlState(sqlState);
      message = cut(message);
    }
  }

  private static void requireSqlState(String sqlState) {
    if (sqlState != null && (sqlState.length() != 5 || !sqlState.chars().allMatch(ch -> ch >= '0' && ch <= 'Z'))) {
      throw new IllegalArgumentException("invalid SQLSTATE " + sqlState);
    }
  }

  /** A message for a client, cut to {@link #MAX_VOTE_MESSAGE_CHARS}. */
  private static String cut(String message) {
    if (message == null || message.length() <= MAX_VOTE_MESSAGE_CHARS) {
      return message;
    }
    int end = MAX_VOTE_MESSAGE_CHARS;
    if (Character.isHighSurrogate(message.charAt(end - 1))) {
      end--;
    }
    return message.substring(0, end);
  }

  private static void requireNonNegative(long value, String name) {
    if (value < 0) {
      throw new IllegalArgumentException(name + " must not be negative: " + value);
    }
  }

  private static void requireNode(int node) {
    if (node < 1) {
      throw new IllegalArgumentException("node id must be positive: " + node);
    }
  }
}
