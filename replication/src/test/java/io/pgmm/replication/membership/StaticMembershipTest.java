package io.pgmm.replication.membership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgmm.config.NodeConfig;
import io.pgmm.config.NodeConfigLoader;
import io.pgmm.replication.membership.MembershipView.Member;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StaticMembershipTest {

  @Test
  void theConfiguredPeersAndThisNodeVoteInGenerationOne() throws Exception {
    NodeConfig config = NodeConfigLoader.parse("""
        nodeId: 2
        dataDir: n2
        listen: { port: 6433 }
        cluster:
          secret: 0123456789abcdef0123
          peers:
            - { nodeId: 3, host: 10.0.0.3, peerPort: 7434 }
            - { nodeId: 1, host: 10.0.0.1, peerPort: 7432 }
        """, Path.of("/tmp"));
    MembershipView view = StaticMembership.of(config).current();
    assertThat(view.generation()).isEqualTo(1);
    assertThat(view.self()).isEqualTo(2);
    assertThat(view.nodes()).containsOnlyKeys(1, 2, 3);
    assertThat(view.peers()).containsExactly(
        Map.entry(1, new Member(1, "10.0.0.1", 7432)), Map.entry(3, new Member(3, "10.0.0.3", 7434)));
    assertThat(view.peers().get(3).name()).isEqualTo("10.0.0.3:7434");
  }

  @Test
  void aViewWithoutThisNodeOrWithANodeTwiceIsRefused() {
    Member one = new Member(1, "h1", 1);
    assertThatThrownBy(() -> MembershipView.of(1, 2, List.of(one)))
        .hasMessageContaining("node 2 is not among the members");
    assertThatThrownBy(() -> MembershipView.of(1, 1, List.of(one, new Member(1, "h2", 2))))
        .hasMessageContaining("node 1 is listed twice");
    assertThatThrownBy(() -> MembershipView.of(0, 1, List.of(one))).hasMessageContaining("generation");
  }
}
