package dev.kiln.security;

import dev.kiln.testing.RawHttp;
import dev.kiln.testing.RepositorySnapshot;
import dev.kiln.testing.ResourceMethods;
import dev.kiln.testing.ResourceMethods.Endpoint;
import dev.kiln.testing.Startup;
import dev.kiln.testing.TestRepository;
import dev.kiln.testing.WithAdminToken;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every admin route, without the token, in each spelling the router still matches: percent-encoded
 * letters, doubled slashes, dot segments, a trailing slash, matrix parameters. Each must answer 401
 * and leave the repository and every model's state exactly as they were.
 */
@QuarkusTest
@TestProfile(WithAdminToken.class)
class PathSpellingTest {

    /** A body that would change something if it got through; every admin route must have one here. */
    static final Map<String, String> DAMAGING = Map.ofEntries(
            Map.entry("/api/v1/setup/config", "{\"lazy_load\": true, \"warmup_iterations\": 7}"),
            Map.entry("/api/v1/setup/inference-engines/install", "{\"engine\": \"onnxruntime-cpu\"}"),
            Map.entry("/api/v1/setup/ai-models/install", "{\"name\": \"spelled-in\", \"url\": \"file:///etc/hostname\", \"category\": \"image\"}"),
            Map.entry("/api/v1/setup/ai-models/enable", "{\"name\": \"ppocr-cls\", \"enabled\": false}"),
            Map.entry("/api/v1/setup/ai-models/uninstall", "{\"name\": \"ppocr-cls\"}"),
            Map.entry("/api/v1/setup/ai-models/warm-up", ""),
            Map.entry("/api/v1/setup/ai-models/rescan", ""),
            Map.entry("/api/v1/setup/models/{name}/routing", "{\"aliases\": {\"stable\": 1}, \"weights\": {\"stable\": 100}}"),
            Map.entry("/api/v1/setup/models/{name}/version-policy", "{\"latest\": 1}"),
            Map.entry("/api/v1/setup/models/{name}/aliases/{alias}", "{\"version\": 1}"),
            Map.entry("/api/v1/setup/models/{name}/promote", "{\"version\": \"1\"}"),
            Map.entry("/api/v1/setup/models/{name}/rollback", ""),
            Map.entry("/api/v1/setup/models/{name}/versions/{version}", ""),
            Map.entry("/v2/repository/models/{model}/load", ""),
            Map.entry("/v2/repository/models/{model}/unload", ""));

    @Test
    void everyAdminRouteInEverySpellingAnswers401AndChangesNothing() throws Exception {
        Startup.awaitStarted();
        Map<String, String> before = RepositorySnapshot.take(TestRepository.ROOT);
        List<String> wrong = new ArrayList<>();
        int sent = 0;
        for (Endpoint e : ResourceMethods.all()) {
            if (!isAdmin(e)) {
                continue;
            }
            String body = DAMAGING.get(e.path());
            assertTrue(body != null, "no damaging body for the admin route " + e.path() + ": add one to DAMAGING");
            String path = e.path().replace("{model}", "ppocr-cls").replace("{name}", "ppocr-cls").replace("{alias}", "stable")
                    .replace("{version}", "1");
            for (String spelling : spellings(path)) {
                RawHttp.Reply r = RawHttp.send(RestAssured.port, e.httpMethod(), spelling,
                        Map.of("Content-Type", "application/json"), body.getBytes(StandardCharsets.UTF_8));
                sent++;
                if (r.status() != 401 || !r.headers().getOrDefault("www-authenticate", "").startsWith("Bearer")) {
                    wrong.add(e.httpMethod() + " " + spelling + " -> " + r.status() + " " + r.body());
                }
            }
        }
        assertTrue(wrong.isEmpty(), "answered other than 401 with a Bearer challenge:\n" + String.join("\n", wrong));
        assertTrue(sent >= 9 * 8, "sent " + sent);
        assertEquals(before, RepositorySnapshot.take(TestRepository.ROOT), "nothing changed");
    }

    @Test
    void theSpellingsReachTheMethodWhenTheTokenIsSent() throws Exception {
        Startup.awaitStarted();
        for (String spelling : spellings("/v2/repository/models/ppocr-cls/load")) {
            RawHttp.Reply r = RawHttp.send(RestAssured.port, "POST", spelling,
                    Map.of("Authorization", "Bearer " + WithAdminToken.TOKEN), new byte[0]);
            assertEquals(200, r.status(), spelling + ": " + r.body());
        }
    }

    /** The path as written, and seven other spellings of it that a router normalises to the same route. */
    static List<String> spellings(String path) {
        String[] seg = path.substring(1).split("/");
        String last = seg[seg.length - 1];
        String head = path.substring(0, path.length() - last.length());
        int mid = seg.length / 2;
        List<String> out = new ArrayList<>();
        out.add(path);
        out.add(encodeFirstLetter(seg, mid));
        out.add(head + "%" + Integer.toHexString(last.charAt(0)) + last.substring(1));
        out.add(path.replaceFirst("/" + seg[1], "//" + seg[1]));
        out.add(head + "x/../" + last);
        out.add(head + "./" + last);
        out.add(path + "/");
        out.add(path + ";x=1");
        return out;
    }

    private static String encodeFirstLetter(String[] seg, int i) {
        StringBuilder b = new StringBuilder();
        for (int k = 0; k < seg.length; k++) {
            String s = seg[k];
            b.append('/').append(k == i ? "%" + Integer.toHexString(s.charAt(0)) + s.substring(1) : s);
        }
        return b.toString();
    }

    private static boolean isAdmin(Endpoint e) {
        var r = e.method().getAnnotation(jakarta.annotation.security.RolesAllowed.class);
        return r != null && List.of(r.value()).contains(Roles.ADMIN);
    }
}
