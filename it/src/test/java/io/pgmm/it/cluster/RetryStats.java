package io.pgmm.it.cluster;

import java.sql.SQLException;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** What clients of one node saw while retrying: attempts, commits, and errors by SQLSTATE. */
final class RetryStats {

  /** Errors a client retries: serialization failure, deadlock, lock not available. */
  static final Set<String> RETRYABLE = Set.of("40001", "40P01", "55P03");

  final int node;
  final LongAdder attempts = new LongAdder();
  final LongAdder commits = new LongAdder();
  final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
  /** One example message per SQLSTATE, for the report. */
  final Map<String, String> examples = new ConcurrentHashMap<>();

  RetryStats(int node) {
    this.node = node;
  }

  /** Counts {@code e}; true when the client should retry. */
  boolean failed(SQLException e) {
    String state = e.getSQLState() == null ? "null" : e.getSQLState();
    errors.computeIfAbsent(state, s -> new LongAdder()).increment();
    examples.putIfAbsent(state, String.valueOf(e.getMessage()));
    return RETRYABLE.contains(state);
  }

  long errors(String state) {
    LongAdder a = errors.get(state);
    return a == null ? 0 : a.sum();
  }

  /** Errors other than the retryable ones, by SQLSTATE. */
  Map<String, Long> unexpected() {
    Map<String, Long> result = new TreeMap<>();
    errors.forEach((k, v) -> {
      if (!RETRYABLE.contains(k)) {
        result.put(k, v.sum());
      }
    });
    return result;
  }

  @Override
  public String toString() {
    Map<String, Long> byState = new TreeMap<>();
    errors.forEach((k, v) -> byState.put(k, v.sum()));
    return "node " + node + ": attempts=" + attempts.sum() + " commits=" + commits.sum() + " errors=" + byState
        + (examples.isEmpty() ? "" : " examples=" + new TreeMap<>(examples));
  }
}
