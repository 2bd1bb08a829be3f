package io.pgmm.config;

import java.nio.file.Path;
import java.util.Objects;

/** The server certificate and key (PEM) offered to clients that ask for TLS. Both files exist and are readable. */
public record TlsConfig(Path certFile, Path keyFile) {

    public TlsConfig {
        Objects.requireNonNull(certFile, "certFile");
        Objects.requireNonNull(keyFile, "keyFile");
    }
}
