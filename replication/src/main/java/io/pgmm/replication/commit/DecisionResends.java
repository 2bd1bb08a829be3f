package io.pgmm.replication.commit;

import io.pgmm.replication.Gid;
import io.pgmm.replication.log.DecisionLog;
import io.pgmm.replication.transport.PeerMessage;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * This node's decisions that some node has not confirmed carrying out. A commit keeps its
 * PreCommit record in the decision log until every node (this one included) has committed (then
 * the log may drop it; without that it grows with every transaction, in memory too). A rollback
 * one node voted yes on stays prepared there, holding its rows, until the rollback arrives. Both
 * are sent again whenever a connection with that node comes up; a node that never acknowledges
 * (it went down) keeps its entries: recovery needs them.
 */
final class DecisionResends {

  private final DecisionLog decisionLog;
  private final Map<Gid, Set<Integer>> commits = new ConcurrentHashMap<>();
  private final Map<Gid, Set<Integer>> rollbacks = new ConcurrentHashMap<>();

  DecisionResends(DecisionLog decisionLog) {
    this.decisionLog = decisionLog;
  }

  /** {@code gid} is decided: {@code nodes} must each confirm it. */
  void decided(Gid gid, boolean commit, Collection<Integer> nodes) {
    Set<Integer> waiting = ConcurrentHashMap.newKeySet();
    waiting.addAll(nodes);
    (commit ? commits : rollbacks).put(gid, waiting);
  }

  /** {@code node} has carried out this node's decision on {@code gid}, whichever it was. */
  void acknowledged(Gid gid, int node) {
    if (lastAck(commits, gid, node)) {
      decisionLog.forget(gid);
    }
    lastAck(rollbacks, gid, node);
  }

  /** Sends {@code node} every decision it has not confirmed. Idempotent there: a duplicate costs a message. */
  void resendTo(int node, PeerLink link) {
    resend(commits, node, true, link);
    resend(rollbacks, node, false, link);
  }

  private static void resend(Map<Gid, Set<Integer>> awaiting, int node, boolean commit, PeerLink link) {
    awaiting.forEach((gid, waiting) -> {
      if (waiting.contains(node)) {
        link.send(node, new PeerMessage.Decision(gid, commit));
      }
    });
  }

  /** Takes {@code node} off the nodes {@code gid} waits for in {@code awaiting}; true when it was the last. */
  private static boolean lastAck(Map<Gid, Set<Integer>> awaiting, Gid gid, int node) {
    Set<Integer> waiting = awaiting.get(gid);
    return waiting != null && waiting.remove(node) && waiting.isEmpty() && awaiting.remove(gid) != null;
  }
}
