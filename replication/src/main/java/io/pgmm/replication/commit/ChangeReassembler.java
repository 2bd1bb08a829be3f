package io.pgmm.replication.commit;

/**
 * Joins a peer's transaction's changes again from its {@code ChangeChunk}s. The origin writes each raw
 * pgoutput message as {@code length:int32, bytes} into one byte stream and cuts that stream into chunks
 * wherever the chunk size falls, inside a change if need be: so a change larger than a chunk (a row with a
 * value of several megabytes) travels in chunks like any other, and no frame is ever larger than a chunk.
 * One instance per transaction, fed the chunks in order; not thread-safe.
 */
final class ChangeReassembler {

  /** Receives each whole change, in order. */
  interface Sink {
    void accept(byte[] change) throws InterruptedException;
  }

  private final byte[] length = new byte[4];
  private int lengthFilled;
  /** The change being filled, or null between changes. */
  private byte[] change;
  private int changeFilled;

  /** Takes the next chunk; every change it completes goes to {@code sink}. */
  void feed(byte[] chunk, Sink sink) throws InterruptedException {
    int at = 0;
    while (at < chunk.length) {
      if (change == null) {
        int n = Math.min(length.length - lengthFilled, chunk.length - at);
        System.arraycopy(chunk, at, length, lengthFilled, n);
        lengthFilled += n;
        at += n;
        if (lengthFilled < length.length) {
          return;
        }
        int bytes = (length[0] & 0xFF) << 24 | (length[1] & 0xFF) << 16 | (length[2] & 0xFF) << 8 | length[3] & 0xFF;
        if (bytes < 0) {
          throw new IllegalStateException("malformed change stream: a change of " + bytes + " bytes");
        }
        lengthFilled = 0;
        change = new byte[bytes];
        changeFilled = 0;
      }
      int n = Math.min(change.length - changeFilled, chunk.length - at);
      System.arraycopy(chunk, at, change, changeFilled, n);
      changeFilled += n;
      at += n;
      if (changeFilled == change.length) {
        byte[] done = change;
        change = null;
        sink.accept(done);
      }
    }
  }

  /** True when no change is partly received: the stream may end here. */
  boolean atBoundary() {
    return change == null && lengthFilled == 0;
  }
}
