package dev.kiln.install;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The token realm is a URL the registry chooses, so it passes the source policy like the registry
 * itself: a real HTTP server plays a registry whose challenge points elsewhere, and names resolve
 * to loopback through the policy's resolver seam.
 */
class RegistryAuthTest {

    HttpServer server;
    final AtomicInteger tokenCalls = new AtomicInteger();
    volatile String realm;

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v2/", ex -> {
            ex.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"" + realm + "\",service=\"s\",scope=\"repository:kiln/m:pull\"");
            ex.sendResponseHeaders(401, -1);
            ex.close();
        });
        server.createContext("/token", ex -> {
            tokenCalls.incrementAndGet();
            ex.sendResponseHeaders(500, -1);
            ex.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    InstallStepException pullRefused(String realmUrl) {
        realm = realmUrl.replace("PORT", Integer.toString(server.getAddress().getPort()));
        SourcePolicy policy = SourcePolicyTest.policy(Map.of("allowHttp", true, "allowPrivateNetworks", true,
                "allowedHosts", Optional.of(List.of("registry.test")), "plainHttpRegistries", Optional.of(List.of("registry.test"))),
                SourcePolicyTest.answering("127.0.0.1"));
        String url = "oci://registry.test:" + server.getAddress().getPort() + "/kiln/m:1";
        SourcePolicy.Source source = policy.check(url);
        OciReference ref = OciReference.parse(url);
        Downloader downloader = new Downloader();
        RegistryClient client = new RegistryClient(ref, new SourcePolicy.Source(policy.registryBase(ref), source.address()), policy,
                new RegistryAuth(policy, Optional.empty(), downloader.tls()), downloader, System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
        return assertThrows(InstallStepException.class, () -> client.manifest("1"));
    }

    @Test
    void aRealmOnAHostOutsideTheAllowedHostsIsNotAsked() {
        InstallStepException e = pullRefused("http://auth.test:PORT/token");
        assertTrue(e.getMessage().contains("the registry's token endpoint is refused: host 'auth.test' is not in ai.models.install.allowed-hosts"),
                e.getMessage());
        assertEquals(0, tokenCalls.get());
    }

    @Test
    void aRealmThatIsNoHttpUrlIsNotAsked() {
        InstallStepException e = pullRefused("file:///etc/passwd");
        assertTrue(e.getMessage().contains("file:// sources are not allowed"), e.getMessage());
        assertEquals(0, tokenCalls.get());
    }

    @Test
    void aRealmOnTheAllowedHostIsAsked() {
        InstallStepException e = pullRefused("http://registry.test:PORT/token");
        assertTrue(e.getMessage().contains("the token endpoint http://registry.test:" + server.getAddress().getPort() + "/token answered HTTP 500"),
                e.getMessage());
        assertEquals(1, tokenCalls.get());
    }
}
