/**
 * TCP between sidecars: {@link io.pgmm.replication.transport.PeerMessage} (the commit protocol's messages,
 * as records), their binary codec, HMAC-SHA256 mutual authentication with the cluster secret, and
 * {@link io.pgmm.replication.transport.PeerTransport} (listener, one outbound connection per peer with
 * reconnect and backoff, fail-fast send, backpressure for change streams). Depends on Netty and
 * {@link io.pgmm.replication.Gid}.
 *
 * <p>Not provided: confidentiality or per-frame integrity after the handshake (no TLS yet). The handshake
 * keeps out nodes without the secret and junk, not an active attacker on the network path, who could
 * hijack an authenticated connection; run the peer network on a trusted segment until TLS is added.
 */
package io.pgmm.replication.transport;
