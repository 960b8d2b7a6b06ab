package dev.kiln.install;

import dev.kiln.config.AiModelsConfig;
import dev.kiln.errors.KilnError;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Where models may be fetched from. https always; http only when allowed; file:// only under the
 * configured roots; only hosts on {@code ai.models.install.allowed-hosts} when that is set; and
 * never an address inside the network (loopback, link-local such as the cloud metadata service,
 * private ranges, and IPv6 forms that wrap them) unless explicitly allowed. A host is resolved
 * once: the download connects to the very address that was checked, so a DNS answer that changes
 * between check and connect (rebinding) cannot slip an internal address in.
 */
@ApplicationScoped
public class SourcePolicy {

    /** Looks a host up; a seam so tests can answer differently on each call, as a rebinding DNS server would. */
    interface Resolver {
        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    /** A checked source: for http(s), the address the download must connect to; for oci, the registry's address. */
    record Source(URI uri, InetAddress address) {
        boolean isFile() {
            return "file".equalsIgnoreCase(uri.getScheme());
        }

        boolean isOci() {
            return "oci".equalsIgnoreCase(uri.getScheme());
        }
    }

    private final AiModelsConfig.Install config;
    private final Resolver resolver;

    @Inject
    public SourcePolicy(AiModelsConfig config) {
        this(config, InetAddress::getAllByName);
    }

    SourcePolicy(AiModelsConfig config, Resolver resolver) {
        this.config = config.install();
        this.resolver = resolver;
    }

    /** Parses and checks a source; every refusal is a 400 that says which rule. */
    public Source check(String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw KilnError.invalid("field 'url' is not a valid URL: " + e.getReason());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        return switch (scheme) {
            case "https" -> new Source(uri, pin(uri));
            case "http" -> {
                if (!config.allowHttp()) {
                    throw KilnError.invalid("http:// sources are not allowed: use https, or set ai.models.install.allow-http=true");
                }
                yield new Source(uri, pin(uri));
            }
            case "file" -> {
                checkFile(uri);
                yield new Source(uri, null);
            }
            case "oci" -> new Source(uri, pin(registryBase(OciReference.parse(url))));
            default -> throw KilnError.invalid("unsupported URL scheme '" + scheme + "': use https"
                    + (config.allowHttp() ? ", http" : "") + ", oci or file (under ai.models.install.file-roots)");
        };
    }

    /**
     * Where a registry's API lives: https, or plain http for a registry listed in
     * ai.models.install.oci.plain-http-registries (a listed one still needs allow-http, the one switch for http).
     */
    URI registryBase(OciReference ref) {
        List<String> plain = config.oci().plainHttpRegistries().orElse(List.of());
        boolean http = plain.stream().map(p -> p.trim().toLowerCase(Locale.ROOT))
                .anyMatch(p -> p.equals(ref.host()) || p.equals(ref.authority()));
        if (http && !config.allowHttp()) {
            throw KilnError.invalid("registry " + ref.authority() + " is listed in ai.models.install.oci.plain-http-registries, "
                    + "but http:// sources are not allowed: set ai.models.install.allow-http=true too");
        }
        return URI.create((http ? "http://" : "https://") + ref.authority() + "/");
    }

    /** Resolves the host once; every address it has must pass, and the first is the one to connect to. */
    InetAddress pin(URI uri) {
        String host = uri.getHost();
        if (host == null || host.isBlank()) {
            throw KilnError.invalid("field 'url' has no host");
        }
        checkAllowedHost(host);
        InetAddress[] addresses;
        try {
            addresses = resolver.resolve(host);
        } catch (UnknownHostException e) {
            throw KilnError.invalid("cannot resolve host '" + host + "'");
        }
        if (addresses == null || addresses.length == 0) {
            throw KilnError.invalid("cannot resolve host '" + host + "'");
        }
        if (!config.allowPrivateNetworks()) {
            for (InetAddress address : addresses) {
                String why = internal(address);
                if (why != null) {
                    throw KilnError.invalid("refusing to fetch from " + host + " (" + address.getHostAddress() + ", " + why
                            + "): loopback, link-local and private addresses are not allowed "
                            + "(ai.models.install.allow-private-networks)");
                }
            }
        }
        return addresses[0];
    }

    private void checkAllowedHost(String host) {
        List<String> allowed = config.allowedHosts().orElse(List.of());
        if (allowed.isEmpty()) {
            return;
        }
        String h = host.toLowerCase(Locale.ROOT);
        for (String rule : allowed) {
            String r = rule.trim().toLowerCase(Locale.ROOT);
            boolean matches = r.startsWith("*.") ? h.endsWith(r.substring(1)) && h.length() > r.length() - 1 : h.equals(r);
            if (matches) {
                return;
            }
        }
        throw KilnError.invalid("host '" + host + "' is not in ai.models.install.allowed-hosts");
    }

    /** Why the address is inside the network, or null when it is a public address. */
    static String internal(InetAddress a) {
        if (a.isLoopbackAddress()) {
            return "loopback";
        }
        if (a.isLinkLocalAddress()) {
            return "link-local";
        }
        if (a.isSiteLocalAddress() || a.isAnyLocalAddress() || a.isMulticastAddress()) {
            return "private";
        }
        byte[] b = a.getAddress();
        if (a instanceof Inet4Address) {
            if ((b[0] & 0xff) == 100 && (b[1] & 0xc0) == 64) {
                return "carrier-grade NAT";                                    // 100.64.0.0/10
            }
            return (b[0] & 0xff) == 0 ? "this network" : null;                 // 0.0.0.0/8
        }
        if ((b[0] & 0xfe) == 0xfc) {
            return "unique local";                                             // fc00::/7
        }
        if (isZero(b, 0, 10) && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) {
            return "IPv4-mapped";                                              // ::ffff:0:0/96
        }
        if (isZero(b, 0, 12)) {
            return "IPv4-compatible";                                          // ::a.b.c.d (deprecated)
        }
        if ((b[0] & 0xff) == 0x00 && (b[1] & 0xff) == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b) {
            if ((b[4] & 0xff) == 0 && (b[5] & 0xff) == 1) {
                return "local-use NAT64";                                      // 64:ff9b:1::/48
            }
            return wraps(b, 12, "NAT64");                                      // 64:ff9b::/96
        }
        if ((b[0] & 0xff) == 0x20 && (b[1] & 0xff) == 0x02) {
            return wraps(b, 2, "6to4");                                        // 2002::/16
        }
        return null;
    }

    /** An IPv6 address carrying an IPv4 one at {@code offset}: internal when that IPv4 address is. */
    private static String wraps(byte[] b, int offset, String form) {
        try {
            InetAddress v4 = InetAddress.getByAddress(new byte[]{b[offset], b[offset + 1], b[offset + 2], b[offset + 3]});
            String inner = internal(v4);
            return inner == null ? null : form + " of a " + inner + " IPv4 address";
        } catch (UnknownHostException e) {
            return form;
        }
    }

    private static boolean isZero(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private void checkFile(URI uri) {
        List<String> roots = config.fileRoots().orElse(List.of());
        if (roots.isEmpty()) {
            throw KilnError.invalid("file:// sources are not allowed: list allowed directories in ai.models.install.file-roots");
        }
        Path path;
        try {
            path = Path.of(uri).toRealPath();
        } catch (IOException | IllegalArgumentException e) {
            throw KilnError.invalid("file source does not exist or is not readable");
        }
        for (String root : roots) {
            try {
                if (path.startsWith(Path.of(root).toRealPath()) && Files.isRegularFile(path)) {
                    return;
                }
            } catch (IOException e) {
                // A configured root that does not exist allows nothing.
            }
        }
        throw KilnError.invalid("file source is outside ai.models.install.file-roots");
    }

    /** The URL as it may appear in logs and job views: no credentials, no query, bounded length. */
    static String shown(URI uri) {
        String s = uri.getScheme() + "://" + (uri.getHost() == null ? "" : uri.getHost())
                + (uri.getPort() > 0 ? ":" + uri.getPort() : "") + (uri.getRawPath() == null ? "" : uri.getRawPath());
        s = s.replaceAll("[^\\x21-\\x7e]", "?");
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }
}
