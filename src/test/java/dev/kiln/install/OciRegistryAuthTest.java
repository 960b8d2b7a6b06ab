package dev.kiln.install;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.kiln.catalog.ModelRepository;
import dev.kiln.testing.Admin;
import dev.kiln.testing.LocalRegistry;
import dev.kiln.testing.OciLayout;
import dev.kiln.testing.RegistryTokenServer;
import dev.kiln.testing.TestRepository;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Registries that want credentials: docker-registry with the distribution spec's token auth (its
 * realm a token endpoint run here, signing JWTs the registry trusts through a root certificate
 * made with keytool), docker-registry with htpasswd (Basic, no token flow), and a server that
 * answers 401 with no challenge at all. Credentials come from the auth file the profile names,
 * read at each install, so each test writes the one it needs.
 */
@QuarkusTest
@TestProfile(OciInstallTest.Registries.class)
class OciRegistryAuthTest {

    static final Path WORK = OciInstallTest.AUTH_FILE.resolveSibling("auth");
    static final ObjectMapper JSON = new ObjectMapper();

    static RegistryTokenServer tokens;
    static LocalRegistry tokenRegistry;
    static LocalRegistry basicRegistry;
    static OciLayout layout;

    @BeforeAll
    static void start() throws Exception {
        ModelRepository.deleteTree(WORK);
        tokens = new RegistryTokenServer(WORK.resolve("token-server"));
        tokens.credentials = "kiln:s3cret";
        tokenRegistry = LocalRegistry.start(WORK.resolve("token-registry"), tokens.registryAuthYaml());
        basicRegistry = LocalRegistry.start(WORK.resolve("basic-registry"),
                "  htpasswd:\n    realm: kiln-basic\n    path: " + WORK.resolve("basic-registry/htpasswd") + "\n");
        layout = new OciLayout(WORK.resolve("layout"));
        byte[] cls = Files.readAllBytes(TestRepository.ROOT.resolve("ppocr-cls/model.onnx"));
        layout.tag("1", layout.manifest(layout.emptyConfig(), List.of(layout.titledFile("model.onnx", cls)), "application/vnd.kiln.model.v1"));
    }

    @AfterAll
    static void stop() throws Exception {
        tokenRegistry.close();
        basicRegistry.close();
        tokens.close();
        for (String n : List.of("oci-token", "oci-token-anon", "oci-basic")) {
            TestRepository.delete(n);
        }
    }

    @AfterEach
    void forgetCredentials() throws Exception {
        Files.deleteIfExists(OciInstallTest.AUTH_FILE);
    }

    static void credentials(String authority, String userAndPassword) throws Exception {
        Files.createDirectories(OciInstallTest.AUTH_FILE.getParent());
        String auth = Base64.getEncoder().encodeToString(userAndPassword.getBytes(StandardCharsets.UTF_8));
        Files.write(OciInstallTest.AUTH_FILE, JSON.writeValueAsBytes(Map.of("auths", Map.of(authority, Map.of("auth", auth)))));
    }

    static String url(LocalRegistry registry) {
        return "oci://" + registry.authority() + "/kiln/cls:1";
    }

    @Test
    void theBearerTokenFlowPullsWhatAnonymousRequestsCannot() throws Exception {
        tokenRegistry.push(layout.dir(), "1", "kiln/cls:1", tokens.credentials);

        HttpURLConnection direct = (HttpURLConnection) URI.create("http://" + tokenRegistry.authority() + "/v2/kiln/cls/manifests/1")
                .toURL().openConnection();
        assertEquals(401, direct.getResponseCode(), "the registry refuses a pull without a token");
        assertTrue(direct.getHeaderField("WWW-Authenticate").startsWith("Bearer realm=\"" + tokens.realm() + "\""),
                direct.getHeaderField("WWW-Authenticate"));

        tokens.anonymous = false;
        tokens.calls.clear();
        Admin.install(OciInstallTest.request("oci-token", url(tokenRegistry)), true).statusCode(422)
                .body("error", allOf(containsString("refused an anonymous pull"), containsString("ai.models.install.oci.auth-file")));
        InstallTest.assertNothingLeft("oci-token");
        assertEquals(1, tokens.calls.size(), "Kiln went to the token endpoint");

        credentials(tokenRegistry.authority(), "kiln:wrong");
        Admin.install(OciInstallTest.request("oci-token", url(tokenRegistry)), true).statusCode(422)
                .body("error", allOf(containsString("refused the credentials for " + tokenRegistry.authority()), not(containsString("wrong"))));

        tokens.calls.clear();
        credentials(tokenRegistry.authority(), tokens.credentials);
        OciInstallTest.installed("oci-token", url(tokenRegistry));
        RegistryTokenServer.Call call = tokens.calls.get(0);
        assertEquals("Basic " + Base64.getEncoder().encodeToString(tokens.credentials.getBytes(StandardCharsets.UTF_8)), call.authorization());
        assertEquals(List.of("repository:kiln/cls:pull"), call.scopes(), "the scope the registry's challenge named");
        OciInstallTest.answersLikeTheDemoModel("oci-token");

        tokens.anonymous = true;
        Files.deleteIfExists(OciInstallTest.AUTH_FILE);
        OciInstallTest.installed("oci-token-anon", url(tokenRegistry));
        Admin.uninstall("oci-token").statusCode(200);
        Admin.uninstall("oci-token-anon").statusCode(200);
    }

    @Test
    void aBasicOnlyRegistryNeedsCredentialsFromTheAuthFile() throws Exception {
        String login = "docker:" + basicRegistry.provisionedPassword();
        basicRegistry.push(layout.dir(), "1", "kiln/cls:1", login);

        Admin.install(OciInstallTest.request("oci-basic", url(basicRegistry)), true).statusCode(422)
                .body("error", equalTo("download: registry " + basicRegistry.authority() + " answered 401 asking for basic credentials "
                        + "and offers no token flow; put credentials for it in the file ai.models.install.oci.auth-file names"));
        InstallTest.assertNothingLeft("oci-basic");

        credentials(basicRegistry.authority(), login);
        OciInstallTest.installed("oci-basic", url(basicRegistry));
        Admin.uninstall("oci-basic").statusCode(200);
    }

    @Test
    void a401WithoutAnyChallengeIsRefused() throws Exception {
        HttpServer bare = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        bare.createContext("/", ex -> {
            ex.sendResponseHeaders(401, -1);
            ex.close();
        });
        bare.start();
        try {
            Admin.install(OciInstallTest.request("oci-bare", "oci://127.0.0.1:" + bare.getAddress().getPort() + "/kiln/cls:1"), true)
                    .statusCode(422).body("error", containsString("answered 401 and offers no token flow (no WWW-Authenticate header)"));
            InstallTest.assertNothingLeft("oci-bare");
        } finally {
            bare.stop(0);
        }
    }
}
