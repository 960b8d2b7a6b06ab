package dev.kiln.web;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The address a refused body puts on probation: one host's, as far as the address can tell. */
class ArrivingBodyTest {

    @Test
    void anIpv4AddressIsItself() {
        assertEquals("10.1.2.3", ArrivingBody.peerOf("10.1.2.3"));
    }

    @Test
    void anIpv6AddressIsItsSlash64() {
        // A host is usually given a whole /64: one sender could otherwise take a fresh address per body.
        assertEquals("2001:db8:1:2:0:0:0:0/64", ArrivingBody.peerOf("2001:db8:1:2:aaaa:bbbb:cccc:dddd"));
        assertEquals(ArrivingBody.peerOf("2001:db8:1:2::1"), ArrivingBody.peerOf("2001:db8:1:2::ffff"));
        assertEquals("2001:db8:1:3:0:0:0:0/64", ArrivingBody.peerOf("2001:db8:1:3::1"));
    }

    @Test
    void anIpv4MappedAddressIsTheIpv4One() {
        assertEquals("10.0.0.1", ArrivingBody.peerOf("::ffff:10.0.0.1"));
    }

    @Test
    void noAddressIsOnePeer() {
        assertEquals("unknown", ArrivingBody.peerOf(null));
        assertEquals("kiln.example", ArrivingBody.peerOf("kiln.example"), "a name is kept, not looked up");
    }
}
