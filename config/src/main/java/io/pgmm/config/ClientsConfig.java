package io.pgmm.config;

import java.net.InetAddress;
import java.util.List;
import java.util.Objects;

/**
 * Which client addresses may connect to the sidecar.
 *
 * @param allow  the CIDR blocks as written in the configuration, default {@code [127.0.0.0/8, ::1/128]}
 * @param blocks the same blocks, parsed once when the configuration is built
 */
public record ClientsConfig(List<String> allow, List<CidrBlock> blocks) {

    public static final List<String> DEFAULT_ALLOW = List.of("127.0.0.0/8", "::1/128");

    public ClientsConfig {
        allow = List.copyOf(allow);
        blocks = List.copyOf(blocks);
        if (allow.size() != blocks.size()) {
            throw new IllegalArgumentException("allow has " + allow.size() + " entries but blocks has " + blocks.size());
        }
        for (int i = 0; i < allow.size(); i++) {
            if (!CidrBlock.parse(allow.get(i)).equals(blocks.get(i))) {
                throw new IllegalArgumentException("blocks[" + i + "] " + blocks.get(i) + " is not allow[" + i + "] " + allow.get(i));
            }
        }
    }

    /**
     * Parses every entry of {@code allow}.
     *
     * @throws IllegalArgumentException naming the first entry that is not an address or CIDR block
     */
    public ClientsConfig(List<String> allow) {
        this(allow, parseAll(allow));
    }

    public static ClientsConfig defaults() {
        return new ClientsConfig(DEFAULT_ALLOW);
    }

    /** Whether a client connecting from {@code address} may proceed. */
    public boolean allows(InetAddress address) {
        Objects.requireNonNull(address, "address");
        for (CidrBlock block : blocks) {
            if (block.contains(address)) {
                return true;
            }
        }
        return false;
    }

    private static List<CidrBlock> parseAll(List<String> allow) {
        return Objects.requireNonNull(allow, "allow").stream().map(CidrBlock::parse).toList();
    }
}
