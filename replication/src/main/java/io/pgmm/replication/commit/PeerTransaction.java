package io.pgmm.replication.commit;

import java.util.concurrent.CompletableFuture;

/** A peer's transaction replayed here. */
final class PeerTransaction {
  final LocalApply.Replay replay;
  final ChangeReassembler changes = new ChangeReassembler();
  final long prepareTs;
  final long startNanos;
  volatile CompletableFuture<LocalApply.VoteResult> prepared;

  PeerTransaction(LocalApply.Replay replay, long prepareTs, long startNanos) {
    this.replay = replay;
    this.prepareTs = prepareTs;
    this.startNanos = startNanos;
  }
}
