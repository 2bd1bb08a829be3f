/**
 * The sidecar's own append-only, group-fsynced log of commit decisions
 * ({@link io.pgmm.replication.log.DecisionLog}): PreCommit (origin and acceptors, DESIGN step 6),
 * Committed, Aborted (tombstones). Entry point: {@code DecisionLog.open(dataDir)}, then {@code replay()} to
 * rebuild in-doubt state and {@code append(record)} on the commit path. Depends on {@link io.pgmm.replication.Gid}.
 */
package io.pgmm.replication.log;
