package io.pgmm.config;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Everything one pgmm node is configured with, immutable and already validated when it comes from
 * {@link NodeConfigLoader}. The YAML reference is in this module's README.
 *
 * @param nodeId  this node's number in the cluster, 1 to {@value #MAX_NODE_ID}
 * @param listen  where the sidecar accepts clients
 * @param dataDir the node's own directory (absolute); a managed PostgreSQL keeps its data in {@code dataDir/pgdata}
 * @param postgres the local PostgreSQL
 * @param tls     certificate and key for client TLS, {@code null} when TLS is off
 * @param clients which client addresses may connect
 * @param limits  bounds on messages, connections and waits
 * @param cluster the peers, {@code null} for a node on its own (no replication)
 * @param replication how this node takes part in distributed commits
 */
public record NodeConfig(int nodeId, ListenConfig listen, Path dataDir, PostgresConfig postgres,
                         TlsConfig tls, ClientsConfig clients, LimitsConfig limits,
                         ClusterConfig cluster, ReplicationConfig replication) {

    public static final int MAX_NODE_ID = 64;

    public NodeConfig {
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(postgres, "postgres");
        Objects.requireNonNull(clients, "clients");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(replication, "replication");
    }

    /** A node on its own, as the sidecar of issue 3 was: no peers, default replication settings. */
    public NodeConfig(int nodeId, ListenConfig listen, Path dataDir, PostgresConfig postgres,
                      TlsConfig tls, ClientsConfig clients, LimitsConfig limits) {
        this(nodeId, listen, dataDir, postgres, tls, clients, limits, null, ReplicationConfig.defaults());
    }

    /** Whether clients may ask for TLS. */
    public boolean tlsEnabled() {
        return tls != null;
    }
}
