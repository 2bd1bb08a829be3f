package io.pgmm.replication.clock;

/** The physical clock a {@link HybridLogicalClock} reads; tests pass a fake one that can go backwards. */
@FunctionalInterface
public interface WallClock {

  /** Milliseconds since the Unix epoch; may jump backwards or forwards. */
  long currentTimeMillis();

  WallClock SYSTEM = System::currentTimeMillis;
}
