package dev.kiln.install;

import dev.kiln.config.AiModelsConfig;
import dev.kiln.errors.KilnError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The default policy refuses every address inside the network and every scheme but https. */
class SourcePolicyTest {

    @TempDir
    Path root;

    static SourcePolicy policy(Map<String, Object> install) {
        return policy(install, java.net.InetAddress::getAllByName);
    }

    static SourcePolicy policy(Map<String, Object> install, SourcePolicy.Resolver resolver) {
        return new SourcePolicy(config(install), resolver);
    }

    /** A configuration whose install group answers from the map (keys named as the methods); oci keys included. */
    static AiModelsConfig config(Map<String, Object> install) {
        AiModelsConfig.Oci oci = (AiModelsConfig.Oci) Proxy.newProxyInstance(SourcePolicyTest.class.getClassLoader(),
                new Class<?>[]{AiModelsConfig.Oci.class}, (p, m, a) -> switch (m.getName()) {
                    case "plainHttpRegistries", "authFile" -> install.getOrDefault(m.getName(), Optional.empty());
                    default -> throw new UnsupportedOperationException(m.getName());
                });
        AiModelsConfig.Install in = (AiModelsConfig.Install) Proxy.newProxyInstance(SourcePolicyTest.class.getClassLoader(),
                new Class<?>[]{AiModelsConfig.Install.class}, (p, m, a) -> switch (m.getName()) {
                    case "allowHttp", "allowPrivateNetworks", "requireChecksum" -> install.getOrDefault(m.getName(), false);
                    case "fileRoots" -> install.getOrDefault("fileRoots", Optional.empty());
                    case "allowedHosts" -> install.getOrDefault("allowedHosts", Optional.empty());
                    case "maxBytes" -> 1000L;
                    case "downloadTimeout" -> Duration.ofMinutes(1);
                    case "threads" -> 1;
                    case "oci" -> oci;
                    default -> throw new UnsupportedOperationException(m.getName());
                });
        return (AiModelsConfig) Proxy.newProxyInstance(SourcePolicyTest.class.getClassLoader(),
                new Class<?>[]{AiModelsConfig.class}, (p, m, a) -> {
                    if (m.getName().equals("install")) {
                        return in;
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
    }

    static void refused(SourcePolicy p, String url, String why) {
        KilnError e = assertThrows(KilnError.class, () -> p.check(url), url);
        assertTrue(e.kind() == KilnError.Kind.INVALID && e.getMessage().contains(why), url + ": " + e.getMessage());
    }

    @Test
    void internalAddressesAreRefused() {
        SourcePolicy p = policy(Map.of());
        for (String url : List.of("https://169.254.169.254/latest/meta-data/", "https://127.0.0.1/m.onnx", "https://localhost/m.onnx",
                "https://10.0.0.8/m.onnx", "https://172.16.3.4/m.onnx", "https://192.168.1.1/m.onnx", "https://100.64.0.1/m.onnx",
                "https://0.0.0.0/m.onnx", "https://[::1]/m.onnx", "https://[fd00::1]/m.onnx", "https://[fe80::1]/m.onnx")) {
            refused(p, url, "not allowed");
        }
        assertDoesNotThrow(() -> p.check("https://93.184.216.34/m.onnx"));
    }

    @Test
    void schemesAndFileRoots() throws Exception {
        SourcePolicy strict = policy(Map.of());
        refused(strict, "http://93.184.216.34/m.onnx", "http:// sources are not allowed");
        refused(strict, "ftp://93.184.216.34/m.onnx", "unsupported URL scheme");
        refused(strict, "file:///etc/passwd", "file:// sources are not allowed");
        refused(strict, "https:///nohost", "no host");
        refused(strict, "not a url at all", "not a valid URL");
        assertDoesNotThrow(() -> policy(Map.of("allowHttp", true)).check("http://93.184.216.34/m.onnx"));
        assertDoesNotThrow(() -> policy(Map.of("allowPrivateNetworks", true)).check("https://127.0.0.1/m.onnx"));

        Path allowed = Files.createDirectories(root.resolve("models"));
        Path model = Files.writeString(allowed.resolve("m.onnx"), "x");
        Path outside = Files.writeString(root.resolve("secret.txt"), "x");
        SourcePolicy files = policy(Map.of("fileRoots", Optional.of(List.of(allowed.toString()))));
        assertDoesNotThrow(() -> files.check(model.toUri().toString()));
        refused(files, outside.toUri().toString(), "outside ai.models.install.file-roots");
        refused(files, allowed.toUri() + "../secret.txt", "outside ai.models.install.file-roots");
        Path link = Files.createSymbolicLink(allowed.resolve("link.onnx"), outside);
        refused(files, link.toUri().toString(), "outside ai.models.install.file-roots");
    }

    /** A resolver that answers every name with the given address, as a DNS server might be made to. */
    static SourcePolicy.Resolver answering(String ip) {
        return host -> new java.net.InetAddress[]{java.net.InetAddress.getByName(ip)};
    }

    static SourcePolicy.Resolver answeringV6(String ip) {
        return host -> new java.net.InetAddress[]{java.net.Inet6Address.getByAddress(null,
                java.net.InetAddress.getByName(ip).getAddress().length == 16 ? java.net.InetAddress.getByName(ip).getAddress()
                        : mapped(java.net.InetAddress.getByName(ip).getAddress()), -1)};
    }

    private static byte[] mapped(byte[] v4) {
        byte[] b = new byte[16];
        b[10] = (byte) 0xff;
        b[11] = (byte) 0xff;
        System.arraycopy(v4, 0, b, 12, 4);
        return b;
    }

    @Test
    void ipv6FormsWrappingInternalIpv4AreRefused() {
        refused(policy(Map.of(), answering("64:ff9b::a00:1")), "https://models.example.com/m.onnx", "NAT64 of a private IPv4");
        refused(policy(Map.of(), answering("64:ff9b::7f00:1")), "https://models.example.com/m.onnx", "NAT64 of a loopback IPv4");
        refused(policy(Map.of(), answering("64:ff9b:1::5db8:d822")), "https://models.example.com/m.onnx", "local-use NAT64");
        refused(policy(Map.of(), answering("2002:c0a8:0101::1")), "https://models.example.com/m.onnx", "6to4 of a private IPv4");
        refused(policy(Map.of(), answering("2002:a9fe:a9fe::1")), "https://models.example.com/m.onnx", "6to4 of a link-local IPv4");
        refused(policy(Map.of(), answeringV6("93.184.216.34")), "https://models.example.com/m.onnx", "IPv4-mapped");
        refused(policy(Map.of(), answeringV6("10.1.2.3")), "https://models.example.com/m.onnx", "IPv4-mapped");
        refused(policy(Map.of(), answering("::7f00:1")), "https://models.example.com/m.onnx", "IPv4-compatible");
        assertDoesNotThrow(() -> policy(Map.of(), answering("64:ff9b::5db8:d822")).check("https://models.example.com/m.onnx"));
        assertDoesNotThrow(() -> policy(Map.of(), answering("2002:5db8:d822::1")).check("https://models.example.com/m.onnx"));
        assertDoesNotThrow(() -> policy(Map.of(), answering("2606:4700::6810:84e5")).check("https://models.example.com/m.onnx"));
    }

    @Test
    void oneInternalAddressAmongSeveralRefusesTheHost() {
        SourcePolicy.Resolver both = host -> new java.net.InetAddress[]{java.net.InetAddress.getByName("93.184.216.34"),
                java.net.InetAddress.getByName("10.0.0.1")};
        refused(policy(Map.of(), both), "https://models.example.com/m.onnx", "10.0.0.1");
    }

    @Test
    void theCheckedAddressIsTheOneReturned() throws Exception {
        SourcePolicy.Source s = policy(Map.of(), answering("93.184.216.34")).check("https://models.example.com/m.onnx");
        assertTrue(s.address().getHostAddress().equals("93.184.216.34"), s.toString());
    }

    @Test
    void allowedHostsAreExactOrSubdomainWildcards() {
        SourcePolicy p = policy(Map.of("allowedHosts", Optional.of(List.of("models.example.com", "*.hf.co"))), answering("93.184.216.34"));
        assertDoesNotThrow(() -> p.check("https://models.example.com/m.onnx"));
        assertDoesNotThrow(() -> p.check("https://MODELS.example.com/m.onnx"));
        assertDoesNotThrow(() -> p.check("https://cdn-lfs.hf.co/m.onnx"));
        refused(p, "https://hf.co/m.onnx", "not in ai.models.install.allowed-hosts");
        refused(p, "https://evilhf.co/m.onnx", "not in ai.models.install.allowed-hosts");
        refused(p, "https://models.example.com.evil.io/m.onnx", "not in ai.models.install.allowed-hosts");
        refused(p, "https://other.example.com/m.onnx", "not in ai.models.install.allowed-hosts");
    }

    @Test
    void ociRegistriesPassTheSameRules() {
        SourcePolicy strict = policy(Map.of());
        refused(strict, "oci://127.0.0.1:5000/kiln/m:1", "refusing to fetch from 127.0.0.1");
        refused(strict, "oci://169.254.169.254/kiln/m:1", "link-local");
        refused(policy(Map.of(), answering("10.0.0.8")), "oci://registry.example.com/kiln/m:1", "private");
        refused(policy(Map.of("allowedHosts", Optional.of(List.of("models.example.com"))), answering("93.184.216.34")),
                "oci://registry.example.com/kiln/m:1", "not in ai.models.install.allowed-hosts");
        refused(policy(Map.of("allowedHosts", Optional.of(List.of("models.example.com"))), answering("93.184.216.34")),
                "oci://kiln/m:1", "'registry-1.docker.io' is not in ai.models.install.allowed-hosts");
        refused(strict, "oci://registry.example.com/Kiln/m:1", "not a valid oci:// reference");

        SourcePolicy.Source s = policy(Map.of(), answering("93.184.216.34")).check("oci://registry.example.com/kiln/m:1");
        assertTrue(s.isOci() && s.address().getHostAddress().equals("93.184.216.34"), s.toString());

        Map<String, Object> listed = Map.of("allowPrivateNetworks", true, "plainHttpRegistries", Optional.of(List.of("127.0.0.1:5000")));
        refused(policy(listed), "oci://127.0.0.1:5000/kiln/m:1", "set ai.models.install.allow-http=true too");
        SourcePolicy plain = policy(Map.of("allowPrivateNetworks", true, "allowHttp", true,
                "plainHttpRegistries", Optional.of(List.of("127.0.0.1:5000"))));
        assertTrue(plain.registryBase(OciReference.parse("oci://127.0.0.1:5000/kiln/m:1")).toString().equals("http://127.0.0.1:5000/"));
        assertTrue(plain.registryBase(OciReference.parse("oci://127.0.0.1:5001/kiln/m:1")).toString().equals("https://127.0.0.1:5001/"),
                "another port of the same host is not listed");
    }

    @Test
    void shownUrlsCarryNoCredentialsOrQuery() {
        String shown = SourcePolicy.shown(java.net.URI.create("https://user:pw@example.com/a/m.onnx?token=abc"));
        assertTrue(shown.equals("https://example.com/a/m.onnx"), shown);
    }
}
