package dev.kiln.install;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.kiln.testing.ModelServer;
import dev.kiln.testing.Processes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Downloads over real sockets: pinned to the checked address, TLS verified by host name, bounded in time. */
class DownloaderTest {

    @TempDir
    Path dir;

    private static final byte[] MODEL = "pretend this is model.onnx".repeat(1000).getBytes();

    private InstallJob job() {
        return new InstallJob(new InstallRequest("m", "x", null, "text", null, null, null, null, null), "x");
    }

    @Test
    void theDownloadConnectsToTheAddressThatWasCheckedNotToASecondAnswer() throws Exception {
        AtomicInteger lookups = new AtomicInteger();
        // A rebinding DNS server: the first answer passes the check, every later one points elsewhere.
        SourcePolicy.Resolver rebinding = host -> new InetAddress[]{
                InetAddress.getByName(lookups.getAndIncrement() == 0 ? "127.0.0.1" : "127.0.0.2")};
        SourcePolicy policy = SourcePolicyTest.policy(Map.of("allowHttp", true, "allowPrivateNetworks", true), rebinding);
        try (ModelServer server = new ModelServer()) {
            String url = server.serve("/m.onnx", MODEL, ModelServer.Mode.NORMAL).replace("127.0.0.1", "models.test");
            SourcePolicy.Source source = policy.check(url);
            Path target = dir.resolve("download");
            String sha = new Downloader().fetch(source, target, job(), 10_000_000, Duration.ofSeconds(30), policy::check);
            assertEquals(ModelServer.sha256(MODEL), sha);
            assertArrayEquals(MODEL, Files.readAllBytes(target));
            assertEquals(1, lookups.get(), "the host was resolved once");
        }
    }

    @Test
    void chunkedBodiesAreDecoded() throws Exception {
        SourcePolicy policy = SourcePolicyTest.policy(Map.of("allowHttp", true, "allowPrivateNetworks", true));
        try (ModelServer server = new ModelServer()) {
            SourcePolicy.Source source = policy.check(server.serve("/c.onnx", MODEL, ModelServer.Mode.CHUNKED));
            Path target = dir.resolve("chunked");
            new Downloader().fetch(source, target, job(), 10_000_000, Duration.ofSeconds(30), policy::check);
            assertArrayEquals(MODEL, Files.readAllBytes(target));
        }
    }

    @Test
    void theWholeDownloadIsBoundedByTheTimeout() throws Exception {
        SourcePolicy policy = SourcePolicyTest.policy(Map.of("allowHttp", true, "allowPrivateNetworks", true));
        try (ModelServer server = new ModelServer()) {
            // 400 KB at 4 KB per 50 ms: about 5 s, always making progress, so only the overall deadline stops it.
            SourcePolicy.Source source = policy.check(server.serve("/slow.onnx", new byte[400_000], ModelServer.Mode.SLOW));
            long start = System.nanoTime();
            InstallStepException e = assertThrows(InstallStepException.class, () -> new Downloader().fetch(source,
                    dir.resolve("slow"), job(), 10_000_000, Duration.ofSeconds(1), policy::check));
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertTrue(e.getMessage().contains("download-timeout"), e.getMessage());
            assertTrue(ms < 4000, "stopped after " + ms + " ms");
        }
    }

    @Test
    void tlsIsVerifiedAgainstTheHostNameEvenThoughTheAddressIsPinned() throws Exception {
        Path keystore = dir.resolve("server.p12");
        Processes.Result made = Processes.run(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "kiln", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                "-dname", "CN=models.test", "-ext", "SAN=dns:models.test", "-keystore", keystore.toString(),
                "-storetype", "PKCS12", "-storepass", "changeit", "-keypass", "changeit"), null, 60);
        assertEquals(0, made.exitCode(), made.output());
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            ks.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "changeit".toCharArray());
        SSLContext serverTls = SSLContext.getInstance("TLS");
        serverTls.init(kmf.getKeyManagers(), null, null);
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("kiln", ks.getCertificate("kiln"));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext clientTls = SSLContext.getInstance("TLS");
        clientTls.init(null, tmf.getTrustManagers(), null);

        HttpsServer server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(serverTls));
        server.createContext("/", ex -> {
            ex.sendResponseHeaders(200, MODEL.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(MODEL);
            }
        });
        server.start();
        try {
            int port = server.getAddress().getPort();
            SourcePolicy.Resolver local = host -> new InetAddress[]{InetAddress.getByName("127.0.0.1")};
            SourcePolicy policy = SourcePolicyTest.policy(Map.of("allowPrivateNetworks", true), local);
            Downloader tls = new Downloader(clientTls, 60_000);

            Path good = dir.resolve("tls-good");
            tls.fetch(policy.check("https://models.test:" + port + "/m.onnx"), good, job(), 10_000_000, Duration.ofSeconds(30), policy::check);
            assertArrayEquals(MODEL, Files.readAllBytes(good));

            for (String wrongName : List.of("https://evil.test:" + port + "/m.onnx", "https://127.0.0.1:" + port + "/m.onnx")) {
                InstallStepException e = assertThrows(InstallStepException.class, () -> tls.fetch(policy.check(wrongName),
                        dir.resolve("tls-" + wrongName.hashCode()), job(), 10_000_000, Duration.ofSeconds(30), policy::check));
                assertTrue(e.getMessage().startsWith("TLS with"), wrongName + ": " + e.getMessage());
            }
            InstallStepException untrusted = assertThrows(InstallStepException.class, () -> new Downloader().fetch(
                    policy.check("https://models.test:" + port + "/m.onnx"), dir.resolve("tls-untrusted"), job(), 10_000_000,
                    Duration.ofSeconds(30), policy::check));
            assertTrue(untrusted.getMessage().startsWith("TLS with"), untrusted.getMessage());
        } finally {
            server.stop(0);
        }
    }

    @Test
    void everyRedirectHopPassesThePolicyAgain() throws Exception {
        com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", ex -> {
            ex.getResponseHeaders().add("Location", "http://elsewhere.test/m.onnx");
            ex.sendResponseHeaders(302, -1);
            ex.close();
        });
        server.start();
        try {
            SourcePolicy policy = SourcePolicyTest.policy(Map.of("allowHttp", true, "allowPrivateNetworks", true,
                    "allowedHosts", Optional.of(List.of("models.test"))), host -> new InetAddress[]{InetAddress.getByName("127.0.0.1")});
            SourcePolicy.Source source = policy.check("http://models.test:" + server.getAddress().getPort() + "/m.onnx");
            dev.kiln.errors.KilnError refused = assertThrows(dev.kiln.errors.KilnError.class, () -> new Downloader().fetch(source,
                    dir.resolve("redirected"), job(), 10_000_000, Duration.ofSeconds(30), policy::check));
            assertTrue(refused.getMessage().contains("allowed-hosts"), refused.getMessage());
        } finally {
            server.stop(0);
        }
    }
}
