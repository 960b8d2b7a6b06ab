package dev.kiln.security;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * Who sends a request, as the limits that hold senders to a share see it: the address the connection
 * comes from (never a forwarded header, which the sender writes), an IPv4 address, or an IPv6
 * address's /64, the block one host is usually given. An IPv4-mapped IPv6 address is its IPv4 one; a
 * name is kept as it is, never looked up.
 */
public final class SenderKey {

    private static final Pattern LITERAL = Pattern.compile("[0-9a-fA-F:.]+(%[A-Za-z0-9_.-]+)?");

    private SenderKey() {
    }

    public static String of(String host) {
        if (host == null) {
            return "unknown";
        }
        if (!LITERAL.matcher(host).matches()) {
            return host; // not an address: never looked up
        }
        try {
            InetAddress parsed = InetAddress.getByName(host); // ::ffff:a.b.c.d becomes a.b.c.d
            byte[] raw = parsed.getAddress();
            return raw.length == 16 ? InetAddress.getByAddress(Arrays.copyOf(Arrays.copyOf(raw, 8), 16)).getHostAddress() + "/64"
                    : parsed.getHostAddress();
        } catch (UnknownHostException notLiteral) {
            // kept as given
        }
        return host;
    }
}
