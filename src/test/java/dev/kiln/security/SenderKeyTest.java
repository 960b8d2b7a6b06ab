package dev.kiln.security;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The sender a refused body puts on probation and connections are counted by: one host, as far as the address can tell. */
class SenderKeyTest {

    @Test
    void anIpv4AddressIsItself() {
        assertEquals("10.1.2.3", SenderKey.of("10.1.2.3"));
    }

    @Test
    void anIpv6AddressIsItsSlash64() {
        // A host is usually given a whole /64: one sender could otherwise take a fresh address per body.
        assertEquals("2001:db8:1:2:0:0:0:0/64", SenderKey.of("2001:db8:1:2:aaaa:bbbb:cccc:dddd"));
        assertEquals(SenderKey.of("2001:db8:1:2::1"), SenderKey.of("2001:db8:1:2::ffff"));
        assertEquals("2001:db8:1:3:0:0:0:0/64", SenderKey.of("2001:db8:1:3::1"));
    }

    @Test
    void anIpv4MappedAddressIsTheIpv4One() {
        assertEquals("10.0.0.1", SenderKey.of("::ffff:10.0.0.1"));
    }

    @Test
    void noAddressIsOnePeer() {
        assertEquals("unknown", SenderKey.of(null));
        assertEquals("kiln.example", SenderKey.of("kiln.example"), "a name is kept, not looked up");
    }
}
