package io.pgmm.replication.log;

import io.pgmm.replication.Gid;
import java.util.Objects;

/**
 * One entry of the {@link DecisionLog}: what this node has durably decided or accepted about a distributed
 * transaction. The latest record of a gid is its state.
 */
public sealed interface DecisionRecord {

  Gid gid();

  /** The node accepted (or, as origin, proposed) a PreCommit: the transaction commits unless a higher ballot says otherwise. */
  record PreCommit(Gid gid, long generation, long ballot, long commitTs) implements DecisionRecord {
    public PreCommit {
      Objects.requireNonNull(gid, "gid");
      if (generation < 0 || ballot < 0 || commitTs < 0) {
        throw new IllegalArgumentException("negative generation, ballot or commitTs for " + gid);
      }
    }
  }

  record Committed(Gid gid) implements DecisionRecord {
    public Committed {
      Objects.requireNonNull(gid, "gid");
    }
  }

  /** Also an abort tombstone: an abort that arrives before the PREPARE must still win. */
  record Aborted(Gid gid) implements DecisionRecord {
    public Aborted {
      Objects.requireNonNull(gid, "gid");
    }
  }
}
