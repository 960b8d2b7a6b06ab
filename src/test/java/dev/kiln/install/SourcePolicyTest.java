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
        AiModelsConfig.Install in = (AiModelsConfig.Install) Proxy.newProxyInstance(SourcePolicyTest.class.getClassLoader(),
                new Class<?>[]{AiModelsConfig.Install.class}, (p, m, a) -> switch (m.getName()) {
                    case "allowHttp", "allowPrivateNetworks", "requireChecksum" -> install.getOrDefault(m.getName(), false);
                    case "fileRoots" -> install.getOrDefault("fileRoots", Optional.empty());
                    case "maxBytes" -> 1000L;
                    case "downloadTimeout" -> Duration.ofMinutes(1);
                    case "threads" -> 1;
                    default -> throw new UnsupportedOperationException(m.getName());
                });
        AiModelsConfig config = (AiModelsConfig) Proxy.newProxyInstance(SourcePolicyTest.class.getClassLoader(),
                new Class<?>[]{AiModelsConfig.class}, (p, m, a) -> {
                    if (m.getName().equals("install")) {
                        return in;
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
        return new SourcePolicy(config);
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

    @Test
    void shownUrlsCarryNoCredentialsOrQuery() {
        String shown = SourcePolicy.shown(java.net.URI.create("https://user:pw@example.com/a/m.onnx?token=abc"));
        assertTrue(shown.equals("https://example.com/a/m.onnx"), shown);
    }
}
