package io.pgmm.config;

import java.util.List;
import java.util.Objects;

/**
 * The other nodes of the cluster and how sidecars reach and trust each other. Static in this
 * release: every node lists its peers (membership under Raft comes later).
 *
 * @param peerHost   where this sidecar listens for its peers
 * @param peerPort   default {@code listen.port + }{@value #PEER_PORT_OFFSET}
 * @param secret     shared by every node; peers prove they know it (HMAC challenge), it never crosses the wire
 * @param peers      the other nodes, without this one
 */
public record ClusterConfig(String peerHost, int peerPort, String secret, List<PeerConfig> peers) {

    public static final int PEER_PORT_OFFSET = 1000;
    public static final int MIN_SECRET_CHARS = 16;

    public ClusterConfig {
        Objects.requireNonNull(peerHost, "peerHost");
        Objects.requireNonNull(secret, "secret");
        peers = List.copyOf(peers);
    }

    /** Redacts the secret. */
    @Override
    public String toString() {
        return "ClusterConfig[peerHost=" + peerHost + ", peerPort=" + peerPort + ", secret=<redacted>, peers=" + peers + "]";
    }
}
