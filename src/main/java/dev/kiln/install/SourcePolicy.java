package dev.kiln.install;

import dev.kiln.config.AiModelsConfig;
import dev.kiln.errors.KilnError;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.IOException;
import java.net.Inet6Address;
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
 * configured roots; and never an address inside the network (loopback, link-local such as the
 * cloud metadata service, private ranges) unless explicitly allowed.
 */
@ApplicationScoped
public class SourcePolicy {

    private final AiModelsConfig.Install config;

    public SourcePolicy(AiModelsConfig config) {
        this.config = config.install();
    }

    /** Parses and checks a source; every refusal is a 400 that says which rule. */
    public URI check(String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw KilnError.invalid("field 'url' is not a valid URL: " + e.getReason());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        switch (scheme) {
            case "https" -> checkHost(uri);
            case "http" -> {
                if (!config.allowHttp()) {
                    throw KilnError.invalid("http:// sources are not allowed: use https, or set ai.models.install.allow-http=true");
                }
                checkHost(uri);
            }
            case "file" -> checkFile(uri);
            default -> throw KilnError.invalid("unsupported URL scheme '" + scheme + "': use https"
                    + (config.allowHttp() ? ", http" : "") + " or file (under ai.models.install.file-roots)");
        }
        return uri;
    }

    void checkHost(URI uri) {
        String host = uri.getHost();
        if (host == null || host.isBlank()) {
            throw KilnError.invalid("field 'url' has no host");
        }
        if (config.allowPrivateNetworks()) {
            return;
        }
        try {
            for (InetAddress address : InetAddress.getAllByName(host)) {
                if (isInternal(address)) {
                    throw KilnError.invalid("refusing to fetch from " + host + " (" + address.getHostAddress()
                            + "): loopback, link-local and private addresses are not allowed "
                            + "(ai.models.install.allow-private-networks)");
                }
            }
        } catch (UnknownHostException e) {
            throw KilnError.invalid("cannot resolve host '" + host + "'");
        }
    }

    static boolean isInternal(InetAddress a) {
        if (a.isLoopbackAddress() || a.isLinkLocalAddress() || a.isSiteLocalAddress() || a.isAnyLocalAddress()
                || a.isMulticastAddress()) {
            return true;
        }
        byte[] b = a.getAddress();
        if (a instanceof Inet6Address) {
            return (b[0] & 0xfe) == 0xfc;                                   // fc00::/7 unique local
        }
        return (b[0] & 0xff) == 100 && (b[1] & 0xc0) == 64                 // 100.64.0.0/10 carrier-grade NAT
                || (b[0] & 0xff) == 0;                                       // 0.0.0.0/8
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
