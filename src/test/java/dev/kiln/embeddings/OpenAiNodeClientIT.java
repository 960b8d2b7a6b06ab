package dev.kiln.embeddings;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.testing.PackagedKiln;
import dev.kiln.testing.Processes;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The official OpenAI Node client ({@code src/test/node}, npm package {@code openai}) with its
 * defaults and {@code apiKey: "none"}, against the packaged jar as production runs it: an admin
 * token set, inference open. The client sends {@code Authorization: Bearer none}; Kiln must ignore a
 * key it cannot verify and answer, and its refusals must read as OpenAI's typed errors.
 * {@code .ci/run} installs the client ({@code npm ci} in that folder).
 */
class OpenAiNodeClientIT {

    static final Path CLIENT = Path.of("src/test/node");
    static final String MODEL = "all-minilm-l6-v2-q";

    @Test
    void theOfficialNodeClientGetsEmbeddingsWithItsDefaults() throws Exception {
        assertTrue(Files.isDirectory(CLIENT.resolve("node_modules/openai")),
                "the OpenAI Node client is not installed: run `npm ci` in " + CLIENT + " (.ci/run does)");
        try (PackagedKiln kiln = PackagedKiln.start(PackagedKiln.copyOfDemoRepository("openai-node-models"),
                Map.of("ai.models.admin-token", "the-real-admin-token"), List.of())) {
            Processes.Result r = Processes.run(List.of("node", CLIENT.resolve("embeddings.mjs").toString()), null, 120,
                    "KILN_BASE_URL", "http://127.0.0.1:" + kiln.port + "/v1", "KILN_MODEL", MODEL);
            assertEquals(0, r.exitCode(), r.output());
            String last = r.output().strip().lines().reduce((a, b) -> b).orElse("");
            JsonNode got = new ObjectMapper().readTree(last);
            assertEquals(MODEL, got.get("model").asText());
            assertEquals(2, got.get("count").asInt());
            assertEquals(List.of(384, 384), List.of(got.get("dimensions").get(0).asInt(), got.get("dimensions").get(1).asInt()));
            assertTrue(got.get("prompt_tokens").asInt() > 5, last);
            float[] direct = direct(kiln);
            for (int i = 0; i < 4; i++) {
                assertEquals(direct[i], got.get("first").get(i).floatValue(), 1e-6, "the same vector as a plain request: " + last);
            }

            JsonNode unknown = got.get("unknown_model");
            assertEquals(404, unknown.get("status").asInt(), last);
            assertEquals("model_not_found", unknown.get("code").asText(), last);
            JsonNode oov = got.get("out_of_vocabulary");
            assertEquals(400, oov.get("status").asInt(), last);
            assertEquals("invalid_request_error", oov.get("type").asText(), "an ONNX Runtime refusal in OpenAI's shape: " + last);
            assertTrue(oov.get("message").asText().contains("40000"), last);
        }
    }

    /** The first request's vector, asked for without any Authorization header. */
    static float[] direct(PackagedKiln kiln) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + kiln.port + "/v1/embeddings")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\": \"" + MODEL + "\", \"input\": \"Kiln keeps models hot.\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return Vectors.of(new ObjectMapper().readTree(r.body()).get("data").get(0).get("embedding"));
    }
}
