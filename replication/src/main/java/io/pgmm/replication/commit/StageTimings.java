package io.pgmm.replication.commit;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;

/**
 * Where the time of distributed commits goes, stage by stage, since the last {@link #drain}: the
 * mean and the maximum of each stage over the transactions that passed it. Cheap enough to keep
 * on: two adders and an accumulator per stage, no allocation per transaction.
 */
public final class StageTimings {

  /** The stages of one distributed commit, in order, as the origin and the peers see them. */
  public enum Stage {
    /** Origin: the PREPARE decoded by capture until its last change went to the peers. */
    SHIP("ship"),
    /** Origin: the changes sent until every peer voted yes. */
    VOTES("votes"),
    /** Origin: capture saw the PREPARE until the session saw it return (negative waits count 0). */
    CLAIM("claim"),
    /** Origin: all yes (and claimed) until a majority holds the PreCommit. */
    PRECOMMIT("precommit"),
    /** Origin: COMMIT PREPARED here. */
    COMMIT("commit"),
    /** Origin: the PREPARE decoded until the client can hear COMMIT. */
    TOTAL("total"),
    /** Peer: the replay's first message until its PREPARE TRANSACTION returned (the vote). */
    APPLY("apply");

    private final String label;

    Stage(String label) {
      this.label = label;
    }
  }

  private final Map<Stage, LongAdder> sums = new EnumMap<>(Stage.class);
  private final Map<Stage, LongAdder> counts = new EnumMap<>(Stage.class);
  private final Map<Stage, LongAccumulator> maxima = new EnumMap<>(Stage.class);

  public StageTimings() {
    for (Stage s : Stage.values()) {
      sums.put(s, new LongAdder());
      counts.put(s, new LongAdder());
      maxima.put(s, new LongAccumulator(Math::max, 0));
    }
  }

  /** Records that {@code stage} took from {@code startNanos} until now ({@link System#nanoTime}). */
  public void record(Stage stage, long startNanos) {
    if (startNanos == 0) {
      return; // the stage's start was never seen (e.g. decided before capture)
    }
    long nanos = Math.max(0, System.nanoTime() - startNanos);
    sums.get(stage).add(nanos);
    counts.get(stage).increment();
    maxima.get(stage).accumulate(nanos);
  }

  /**
   * The stages passed since the last call, as {@code stage mean/max ms (n)}, and starts over; null
   * when nothing passed.
   */
  public String drain() {
    StringBuilder b = new StringBuilder();
    for (Stage s : Stage.values()) {
      long n = counts.get(s).sumThenReset();
      long sum = sums.get(s).sumThenReset();
      long max = maxima.get(s).getThenReset();
      if (n == 0) {
        continue;
      }
      if (!b.isEmpty()) {
        b.append(", ");
      }
      b.append(s.label).append(' ').append(String.format(java.util.Locale.ROOT, "%.2f/%.1f ms (%d)",
          sum / 1e6 / n, max / 1e6, n));
    }
    return b.isEmpty() ? null : b.toString();
  }
}
