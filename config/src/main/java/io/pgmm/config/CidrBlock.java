package io.pgmm.config;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One block of addresses, IPv4 or IPv6, such as {@code 10.0.0.0/8} or {@code fd00::/8}. A bare address is a block
 * of one ({@code /32} or {@code /128}). Parsing never touches DNS: only address literals are accepted.
 *
 * @param network    the first address of the block (host bits are zero)
 * @param prefixBits how many leading bits an address must share with {@code network} to be inside
 */
public record CidrBlock(InetAddress network, int prefixBits) {

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]+");

    public CidrBlock {
        Objects.requireNonNull(network, "network");
        int maxBits = network.getAddress().length * 8;
        if (prefixBits < 0 || prefixBits > maxBits) {
            throw new IllegalArgumentException("prefix must be between 0 and " + maxBits + ", got " + prefixBits);
        }
        byte[] bytes = network.getAddress();
        if (!Arrays.equals(bytes, mask(bytes, prefixBits))) {
            throw new IllegalArgumentException("host bits are set");
        }
    }

    /**
     * Parses {@code address[/prefix]}.
     *
     * @throws IllegalArgumentException with a message that says what is wrong and what to write instead
     */
    public static CidrBlock parse(String text) {
        Objects.requireNonNull(text, "text");
        String trimmed = text.strip();
        int slash = trimmed.indexOf('/');
        String addressText = slash < 0 ? trimmed : trimmed.substring(0, slash);
        InetAddress address = parseLiteral(addressText, text);
        int maxBits = address.getAddress().length * 8;
        int prefixBits = maxBits;
        if (slash >= 0) {
            String prefixText = trimmed.substring(slash + 1);
            if (!prefixText.matches("\\d{1,3}")) {
                throw new IllegalArgumentException("'" + text + "' is not a CIDR block: the prefix after '/' must be a number between 0 and " + maxBits);
            }
            prefixBits = Integer.parseInt(prefixText);
            if (prefixBits > maxBits) {
                throw new IllegalArgumentException("'" + text + "' is not a CIDR block: the prefix must be between 0 and " + maxBits + ", got " + prefixBits);
            }
        }
        byte[] network = mask(address.getAddress(), prefixBits);
        if (!Arrays.equals(network, address.getAddress())) {
            String suggestion = toInetAddress(network).getHostAddress() + "/" + prefixBits;
            throw new IllegalArgumentException("'" + text + "' has host bits set after the /" + prefixBits
                    + " prefix; write " + suggestion + " for the block, or the address alone for one host");
        }
        return new CidrBlock(address, prefixBits);
    }

    /** Whether {@code address} lies in this block. An IPv4-mapped IPv6 address ({@code ::ffff:a.b.c.d}) counts as IPv4. */
    public boolean contains(InetAddress address) {
        byte[] candidate = unmapIpv4(Objects.requireNonNull(address, "address").getAddress());
        byte[] net = network.getAddress();
        if (candidate.length != net.length) {
            return false;
        }
        return Arrays.equals(mask(candidate, prefixBits), net);
    }

    @Override
    public String toString() {
        return network.getHostAddress() + "/" + prefixBits;
    }

    private static InetAddress parseLiteral(String addressText, String original) {
        if (IPV4.matcher(addressText).matches()) {
            String[] parts = addressText.split("\\.");
            byte[] bytes = new byte[4];
            for (int i = 0; i < 4; i++) {
                int octet = Integer.parseInt(parts[i]);
                if (octet > 255) {
                    throw new IllegalArgumentException("'" + original + "' is not a CIDR block: '" + addressText
                            + "' is not a valid IPv4 address (each part is 0 to 255)");
                }
                bytes[i] = (byte) octet;
            }
            return toInetAddress(bytes);
        }
        if (addressText.indexOf(':') >= 0) {
            if (!IPV6.matcher(addressText).matches()) {
                throw new IllegalArgumentException("'" + original + "' is not a CIDR block: '" + addressText
                        + "' is not a valid IPv6 address (hex digits and colons, such as fd00::1; no zone id)");
            }
            try {
                // In brackets, getByName parses an IPv6 literal or fails; it never asks DNS.
                InetAddress address = InetAddress.getByName("[" + addressText + "]");
                if (address instanceof Inet4Address) {
                    throw new IllegalArgumentException("'" + original + "' is an IPv4-mapped IPv6 address;"
                            + " write the IPv4 address instead, such as " + address.getHostAddress());
                }
                return address;
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("'" + original + "' is not a CIDR block: '" + addressText
                        + "' is not a valid IPv6 address");
            }
        }
        throw new IllegalArgumentException("'" + original + "' is not a CIDR block: write an IPv4 or IPv6 address,"
                + " optionally with /prefix, such as 10.0.0.0/8 or fd00::/8 (host names are not accepted)");
    }

    private static byte[] unmapIpv4(byte[] bytes) {
        if (bytes.length != 16) {
            return bytes;
        }
        for (int i = 0; i < 10; i++) {
            if (bytes[i] != 0) {
                return bytes;
            }
        }
        if (bytes[10] != (byte) 0xff || bytes[11] != (byte) 0xff) {
            return bytes;
        }
        return Arrays.copyOfRange(bytes, 12, 16);
    }

    private static byte[] mask(byte[] bytes, int prefixBits) {
        byte[] out = bytes.clone();
        for (int i = 0; i < out.length; i++) {
            int bitsInThisByte = Math.max(0, Math.min(8, prefixBits - i * 8));
            out[i] &= (byte) (0xff << (8 - bitsInThisByte));
        }
        return out;
    }

    private static InetAddress toInetAddress(byte[] bytes) {
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("an address of " + bytes.length + " bytes", e);
        }
    }
}
