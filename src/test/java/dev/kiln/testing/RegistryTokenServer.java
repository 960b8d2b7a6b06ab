package dev.kiln.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.FileInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The token endpoint of the distribution spec's token flow, for a docker-registry configured with
 * {@code auth: token:}: it answers {@code GET /token?service=...&scope=repository:<name>:<actions>}
 * with a JWT (RS256) that carries its certificate in the {@code x5c} header, and the registry trusts
 * that certificate through {@code rootcertbundle}. The key and the self-signed certificate come from
 * keytool at start. With a user set, only Basic credentials of that user get a token; anonymous
 * callers get pull-only tokens unless {@code anonymous} is off.
 */
public final class RegistryTokenServer implements AutoCloseable {

    public static final String ISSUER = "kiln-test-token-issuer";
    public static final String SERVICE = "kiln-test-registry";

    /** One call to the endpoint: whether it came with Basic credentials, and the scopes asked for. */
    public record Call(String authorization, List<String> scopes) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpServer server;
    private final PrivateKey key;
    private final X509Certificate certificate;
    private final Path rootCertBundle;
    public final List<Call> calls = new CopyOnWriteArrayList<>();
    public volatile String credentials;
    public volatile boolean anonymous = true;

    public RegistryTokenServer(Path dir) throws Exception {
        Files.createDirectories(dir);
        Path store = dir.resolve("token-signer.p12");
        Files.deleteIfExists(store);
        Processes.Result r = Processes.run(List.of("keytool", "-genkeypair", "-keyalg", "RSA", "-keysize", "2048", "-alias", "signer",
                "-dname", "CN=kiln test token signer", "-validity", "2", "-storetype", "PKCS12", "-keystore", store.toString(),
                "-storepass", "changeit", "-keypass", "changeit"), null, 60);
        if (r.exitCode() != 0) {
            throw new AssertionError("keytool failed: " + r.output());
        }
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (FileInputStream in = new FileInputStream(store.toFile())) {
            ks.load(in, "changeit".toCharArray());
        }
        key = (PrivateKey) ks.getKey("signer", "changeit".toCharArray());
        certificate = (X509Certificate) ks.getCertificate("signer");
        rootCertBundle = dir.resolve("token-root.pem");
        Files.writeString(rootCertBundle, "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(certificate.getEncoded())
                + "\n-----END CERTIFICATE-----\n");
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/token", this::token);
        server.start();
    }

    public String realm() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/token";
    }

    /** The {@code auth:} section of a docker-registry config that trusts this endpoint. */
    public String registryAuthYaml() {
        return "  token:\n    realm: " + realm() + "\n    service: " + SERVICE + "\n    issuer: " + ISSUER
                + "\n    rootcertbundle: " + rootCertBundle + "\n";
    }

    private void token(HttpExchange ex) throws IOException {
        try (ex) {
            String authorization = ex.getRequestHeaders().getFirst("Authorization");
            List<String> scopes = scopes(ex.getRequestURI().getRawQuery());
            calls.add(new Call(authorization, scopes));
            boolean authenticated = credentials != null && authorization != null
                    && authorization.equals("Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8)));
            if (authorization != null && !authenticated || authorization == null && !anonymous) {
                answer(ex, 401, Map.of("errors", List.of(Map.of("code", "UNAUTHORIZED", "message", "bad or missing credentials"))));
                return;
            }
            answer(ex, 200, Map.of("token", jwt(scopes, authenticated), "expires_in", 300));
        } catch (Exception e) {
            throw new IOException(e);
        }
    }

    private static List<String> scopes(String query) {
        List<String> out = new ArrayList<>();
        for (String pair : query == null ? new String[0] : query.split("&")) {
            if (pair.startsWith("scope=")) {
                out.add(URLDecoder.decode(pair.substring("scope=".length()), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    private String jwt(List<String> scopes, boolean authenticated) throws Exception {
        List<Map<String, Object>> access = new ArrayList<>();
        for (String scope : scopes) {
            String[] parts = scope.split(":");
            if (parts.length == 3 && parts[0].equals("repository")) {
                List<String> actions = List.of(parts[2].split(","));
                access.add(Map.of("type", "repository", "name", parts[1],
                        "actions", authenticated ? actions : actions.stream().filter("pull"::equals).toList()));
            }
        }
        long now = System.currentTimeMillis() / 1000;
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("iss", ISSUER);
        claims.put("sub", authenticated ? "kiln" : "");
        claims.put("aud", SERVICE);
        claims.put("exp", now + 300);
        claims.put("nbf", now - 10);
        claims.put("iat", now);
        claims.put("jti", UUID.randomUUID().toString());
        claims.put("access", access);
        Map<String, Object> header = Map.of("typ", "JWT", "alg", "RS256",
                "x5c", List.of(Base64.getEncoder().encodeToString(certificate.getEncoded())));
        Base64.Encoder url = Base64.getUrlEncoder().withoutPadding();
        String signed = url.encodeToString(JSON.writeValueAsBytes(header)) + "." + url.encodeToString(JSON.writeValueAsBytes(claims));
        Signature rsa = Signature.getInstance("SHA256withRSA");
        rsa.initSign(key);
        rsa.update(signed.getBytes(StandardCharsets.US_ASCII));
        return signed + "." + url.encodeToString(rsa.sign());
    }

    private static void answer(HttpExchange ex, int status, Object body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
