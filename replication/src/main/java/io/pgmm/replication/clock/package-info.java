/**
 * The hybrid logical clock ({@link io.pgmm.replication.clock.HybridLogicalClock}) that orders distributed
 * transactions (prepareTs, votes, commitTs = max of the votes), and the durable incarnation counter for gids
 * ({@link io.pgmm.replication.clock.HybridLogicalClock#nextIncarnation}). Files in the node's data dir:
 * {@code hlc.bound} (an upper bound on every timestamp handed out, rewritten about every 5 s) and
 * {@code incarnation}; both written as temp file + fsync + atomic rename + directory fsync. Depends on
 * nothing of ours.
 */
package io.pgmm.replication.clock;
