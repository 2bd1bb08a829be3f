package io.pgmm.replication.membership;

import io.pgmm.config.ClusterConfig;
import io.pgmm.config.NodeConfig;
import io.pgmm.config.PeerConfig;
import java.util.ArrayList;
import java.util.List;

/** Membership from the node's config: this node and its configured peers, generation 1, for good. */
public final class StaticMembership implements Membership {

  private final MembershipView view;

  public StaticMembership(MembershipView view) {
    this.view = view;
  }

  public static StaticMembership of(NodeConfig config) {
    ClusterConfig cluster = config.cluster();
    if (cluster == null) {
      throw new IllegalArgumentException("node " + config.nodeId() + " has no cluster section");
    }
    List<MembershipView.Member> members = new ArrayList<>();
    members.add(new MembershipView.Member(config.nodeId(), cluster.peerHost(), cluster.peerPort()));
    for (PeerConfig p : cluster.peers()) {
      members.add(new MembershipView.Member(p.nodeId(), p.host(), p.peerPort()));
    }
    return new StaticMembership(MembershipView.of(1, config.nodeId(), members));
  }

  @Override
  public MembershipView current() {
    return view;
  }
}
