package io.pgmm.server.session;

import io.netty.channel.Channel;
import io.netty.handler.ssl.SslContext;
import io.pgmm.config.ClientsConfig;
import io.pgmm.config.ReadConsistency;
import io.pgmm.replication.commit.DistributedCommit;
import java.net.SocketAddress;

/**
 * What every session of one sidecar shares: where the local PostgreSQL listens, the TLS context
 * (null when TLS is off), the client allowlist, the message size limit, the session registry,
 * and the distributed commit (null on a node without peers: sessions then relay unchanged).
 */
public record SessionContext(
    SocketAddress backendAddress,
    Class<? extends Channel> backendChannelClass,
    SslContext sslContext,
    ClientsConfig clients,
    int maxMessageBytes,
    SessionRegistry registry,
    DistributedCommit commit,
    ReadConsistency readConsistency,
    String replicatedDatabase) {}
