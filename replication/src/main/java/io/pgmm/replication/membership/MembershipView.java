package io.pgmm.replication.membership;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One generation of the cluster: its number and the nodes that vote in it, this node included.
 *
 * @param generation grows with every change of who votes; a transaction carries the one it prepared in
 * @param self       this node's id
 * @param nodes      every voting node, by id
 */
public record MembershipView(long generation, int self, Map<Integer, Member> nodes) {

  public MembershipView {
    if (generation < 1) {
      throw new IllegalArgumentException("generation must be at least 1, got " + generation);
    }
    if (!nodes.containsKey(self)) {
      throw new IllegalArgumentException("node " + self + " is not among the members " + nodes.keySet());
    }
    nodes = Map.copyOf(new TreeMap<>(nodes));
  }

  /** The other voting nodes, by id, in id order. */
  public Map<Integer, Member> peers() {
    Map<Integer, Member> peers = new TreeMap<>(nodes);
    peers.remove(self);
    return peers;
  }

  /** A node of the cluster as peers reach it. */
  public record Member(int nodeId, String host, int peerPort) {

    /** How logs and errors name the node: {@code host:peerPort}. */
    public String name() {
      return host + ":" + peerPort;
    }
  }

  static MembershipView of(long generation, int self, List<Member> members) {
    Map<Integer, Member> nodes = new TreeMap<>();
    for (Member m : members) {
      if (nodes.put(m.nodeId(), m) != null) {
        throw new IllegalArgumentException("node " + m.nodeId() + " is listed twice");
      }
    }
    return new MembershipView(generation, self, nodes);
  }
}
