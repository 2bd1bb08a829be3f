package io.pgmm.config;

/** Another node of the cluster: its id and where its sidecar listens for peers. */
public record PeerConfig(int nodeId, String host, int peerPort) {}
