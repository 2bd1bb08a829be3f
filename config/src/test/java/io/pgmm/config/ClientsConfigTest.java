package io.pgmm.config;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ClientsConfigTest {

    @Test
    void defaultAllowsLoopbackOnly() throws Exception {
        ClientsConfig clients = ClientsConfig.defaults();
        assertThat(clients.allows(ip("127.0.0.1"))).isTrue();
        assertThat(clients.allows(ip("127.255.0.9"))).isTrue();
        assertThat(clients.allows(ip("::1"))).isTrue();
        assertThat(clients.allows(ip("10.0.0.1"))).isFalse();
        assertThat(clients.allows(ip("::2"))).isFalse();
        assertThat(clients.allows(ip("128.0.0.1"))).isFalse();
    }

    @Test
    void ipv4BlocksMatchOnTheirPrefix() throws Exception {
        ClientsConfig clients = new ClientsConfig(List.of("10.0.0.0/8", "192.168.1.0/24", "172.16.0.0/12", "203.0.113.7"));
        assertThat(clients.allows(ip("10.255.255.255"))).isTrue();
        assertThat(clients.allows(ip("11.0.0.0"))).isFalse();
        assertThat(clients.allows(ip("192.168.1.200"))).isTrue();
        assertThat(clients.allows(ip("192.168.2.1"))).isFalse();
        assertThat(clients.allows(ip("172.31.255.1"))).isTrue();
        assertThat(clients.allows(ip("172.32.0.1"))).isFalse();
        assertThat(clients.allows(ip("203.0.113.7"))).isTrue();
        assertThat(clients.allows(ip("203.0.113.8"))).isFalse();
    }

    @Test
    void ipv6BlocksMatchOnTheirPrefixAndNeverMatchIpv4() throws Exception {
        ClientsConfig clients = new ClientsConfig(List.of("fd00::/8", "2001:db8:0:1::/64", "2001:db8::42"));
        assertThat(clients.allows(ip("fd12:3456::1"))).isTrue();
        assertThat(clients.allows(ip("fe00::1"))).isFalse();
        assertThat(clients.allows(ip("2001:db8:0:1:ffff::1"))).isTrue();
        assertThat(clients.allows(ip("2001:db8:0:2::1"))).isFalse();
        assertThat(clients.allows(ip("2001:db8::42"))).isTrue();
        assertThat(clients.allows(ip("2001:db8::43"))).isFalse();
        assertThat(clients.allows(ip("10.0.0.1"))).isFalse();
    }

    @Test
    void ipv4MappedIpv6AddressMatchesIpv4Blocks() throws Exception {
        ClientsConfig clients = new ClientsConfig(List.of("10.0.0.0/8"));
        byte[] mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 10, 1, 2, 3};
        InetAddress v6 = java.net.Inet6Address.getByAddress(null, mapped, -1);
        assertThat(clients.allows(v6)).isTrue();
    }

    @Test
    void zeroPrefixAllowsEverythingOfItsFamily() throws Exception {
        ClientsConfig clients = new ClientsConfig(List.of("0.0.0.0/0"));
        assertThat(clients.allows(ip("8.8.8.8"))).isTrue();
        assertThat(clients.allows(ip("::1"))).isFalse();
        assertThat(new ClientsConfig(List.of("::/0")).allows(ip("2001:db8::1"))).isTrue();
    }

    @Test
    void bareAddressIsABlockOfOne() {
        assertThat(CidrBlock.parse("10.1.2.3").prefixBits()).isEqualTo(32);
        assertThat(CidrBlock.parse("::1").prefixBits()).isEqualTo(128);
        assertThat(CidrBlock.parse("10.1.2.3").toString()).isEqualTo("10.1.2.3/32");
    }

    @Test
    void invalidBlocksSayWhatToWrite() {
        assertThatThrownBy(() -> CidrBlock.parse("10.0.0.1/8")).hasMessageContaining("write 10.0.0.0/8");
        assertThatThrownBy(() -> CidrBlock.parse("300.0.0.0/8")).hasMessageContaining("not a valid IPv4 address");
        assertThatThrownBy(() -> CidrBlock.parse("::1/129")).hasMessageContaining("between 0 and 128");
        assertThatThrownBy(() -> CidrBlock.parse("10.0.0.0/x")).hasMessageContaining("must be a number");
        assertThatThrownBy(() -> CidrBlock.parse("example.com")).hasMessageContaining("host names are not accepted");
        assertThatThrownBy(() -> new ClientsConfig(List.of("10.0.0.0/8", "nope"))).isInstanceOf(IllegalArgumentException.class);
    }

    private static InetAddress ip(String literal) throws Exception {
        return InetAddress.getByName(literal);
    }
}
