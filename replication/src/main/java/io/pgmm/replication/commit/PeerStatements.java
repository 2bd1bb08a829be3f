package io.pgmm.replication.commit;

import io.pgmm.replication.Gid;
import io.pgmm.replication.transport.PeerMessage;
import io.pgmm.replication.membership.MembershipView;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Statements that PostgreSQL cannot run in a transaction block but every node must run (CREATE
 * INDEX CONCURRENTLY, DROP INDEX CONCURRENTLY). They cannot be prepared, so they are not
 * all-or-nothing: the origin runs the statement first and, once it succeeded there, asks every
 * peer to run it on its own; the client hears which nodes failed, if any. A peer that is or
 * becomes unreachable counts as failed (the request is not resent: the statement may be
 * half-done there, and the user decides, as after a failed CONCURRENTLY statement on one node).
 */
final class PeerStatements {

  private final int selfNode;
  private final Supplier<MembershipView> view;
  private final Supplier<PeerLink> transport;
  private final LocalApply apply;
  private final Map<Gid, Request> pending = new ConcurrentHashMap<>();

  PeerStatements(int selfNode, Supplier<MembershipView> view, Supplier<PeerLink> transport, LocalApply apply) {
    this.selfNode = selfNode;
    this.view = view;
    this.transport = transport;
    this.apply = apply;
  }

  /**
   * Runs {@code statement} (the apply's DDL message format) on every peer. Completes with one line
   * per node where it failed, empty when it succeeded everywhere; never exceptionally.
   */
  CompletableFuture<List<String>> runOnPeers(Gid id, String statement) {
    Set<Integer> peers = view.get().peers().keySet();
    Request request = new Request(peers);
    pending.put(id, request);
    for (int peer : peers) {
      if (!transport.get().send(peer, new PeerMessage.RunStatement(id, statement))) {
        answer(id, peer, "57P03", "unreachable");
      }
    }
    return request.done.whenComplete((failures, e) -> pending.remove(id));
  }

  /** A peer asks this node to run a statement. */
  void onRunStatement(int fromNode, PeerMessage.RunStatement run) {
    apply.runOutsideTransaction(run.statement()).whenComplete((v, e) -> {
      Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
      transport.get().send(fromNode, new PeerMessage.StatementDone(run.gid(), selfNode,
          cause == null ? null : sqlStateOf(cause), cause == null ? null : String.valueOf(cause.getMessage())));
    });
  }

  void onStatementDone(int fromNode, PeerMessage.StatementDone done) {
    answer(done.gid(), fromNode, done.sqlState(), done.message());
  }

  /** Called periodically: a request waiting for a peer that is not connected fails for that peer. */
  void failUnreachable() {
    pending.forEach((id, request) -> {
      for (int peer : request.waitingFor()) {
        if (!transport.get().isConnected(peer)) {
          answer(id, peer, "57P03", "connection lost before it answered");
        }
      }
    });
  }

  private void answer(Gid id, int peer, String sqlState, String message) {
    Request request = pending.get(id);
    if (request != null) {
      MembershipView.Member member = view.get().nodes().get(peer);
      request.answer(peer, sqlState == null ? null : "node " + peer + (member == null ? "" : " (" + member.name() + ")") + ": "
          + message + " (SQLSTATE " + sqlState + ")");
    }
  }

  private static String sqlStateOf(Throwable cause) {
    return cause instanceof SQLException s && s.getSQLState() != null && s.getSQLState().length() == 5
        ? s.getSQLState() : "XX000";
  }

  /** The answers still missing, and the failures so far. */
  private static final class Request {
    final CompletableFuture<List<String>> done = new CompletableFuture<>();
    private final Map<Integer, String> failures = new TreeMap<>();
    private final Set<Integer> waitingFor;

    Request(Set<Integer> peers) {
      this.waitingFor = new HashSet<>(peers);
      if (peers.isEmpty()) {
        done.complete(List.of());
      }
    }

    synchronized List<Integer> waitingFor() {
      return List.copyOf(waitingFor);
    }

    synchronized void answer(int peer, String failure) {
      if (!waitingFor.remove(peer)) {
        return;
      }
      if (failure != null) {
        failures.put(peer, failure);
      }
      if (waitingFor.isEmpty()) {
        done.complete(new ArrayList<>(failures.values()));
      }
    }
  }
}
