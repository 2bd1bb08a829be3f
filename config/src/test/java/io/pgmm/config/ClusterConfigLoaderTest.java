package io.pgmm.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ClusterConfigLoaderTest {

  private static final Path BASE = Path.of("/tmp");

  private static NodeConfig parse(String yaml) throws ConfigException {
    return NodeConfigLoader.parse("nodeId: 1\ndataDir: n1\nlisten: { port: 6432 }\n" + yaml, BASE);
  }

  @Test
  void aNodeWithoutClusterIsOnItsOwnWithDefaultReplicationSettings() throws ConfigException {
    NodeConfig c = parse("");
    assertThat(c.cluster()).isNull();
    assertThat(c.replication()).isEqualTo(ReplicationConfig.defaults());
    assertThat(c.replication().readConsistency()).isEqualTo(ReadConsistency.GLOBAL);
  }

  @Test
  void readsPeersAndDefaultsThePeerPort() throws ConfigException {
    NodeConfig c = parse("""
        cluster:
          secret: 0123456789abcdef0123
          peers:
            - { nodeId: 2, host: 127.0.0.1, peerPort: 7433 }
            - { nodeId: 3, host: 127.0.0.1, peerPort: 7434 }
        replication: { applyWorkers: 4, readConsistency: local }
        """);
    assertThat(c.cluster().peerPort()).isEqualTo(7432);
    assertThat(c.cluster().peers()).containsExactly(new PeerConfig(2, "127.0.0.1", 7433), new PeerConfig(3, "127.0.0.1", 7434));
    assertThat(c.cluster().toString()).doesNotContain("0123456789abcdef0123");
    assertThat(c.replication().applyWorkers()).isEqualTo(4);
    assertThat(c.replication().readConsistency()).isEqualTo(ReadConsistency.LOCAL);
  }

  @Test
  void aShortSecretNamesTheField() {
    assertThatThrownBy(() -> parse("cluster: { secret: short, peers: [ { nodeId: 2, host: h, peerPort: 1 } ] }"))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.field()).isEqualTo("cluster.secret"));
  }

  @Test
  void listingThisNodeAsItsOwnPeerIsAnError() {
    assertThatThrownBy(() -> parse("cluster: { secret: 0123456789abcdef0123, peers: [ { nodeId: 1, host: h, peerPort: 1 } ] }"))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.field()).isEqualTo("cluster.peers[0].nodeId"));
  }

  @Test
  void aPeerListedTwiceIsAnError() {
    assertThatThrownBy(() -> parse("cluster: { secret: 0123456789abcdef0123, peers: [ { nodeId: 2, host: h, peerPort: 1 }, { nodeId: 2, host: h, peerPort: 2 } ] }"))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.field()).isEqualTo("cluster.peers[1].nodeId"));
  }

  @Test
  void anUnknownReadConsistencyNamesTheField() {
    assertThatThrownBy(() -> parse("replication: { readConsistency: eventual }"))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.field()).isEqualTo("replication.readConsistency"));
  }
}
