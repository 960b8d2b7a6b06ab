package dev.kiln.embeddings;

import dev.kiln.testing.Startup;
import dev.kiln.testing.WithAdminToken;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import dev.langchain4j.model.openai.OpenAiEmbeddingModel;
import dev.langchain4j.model.output.Response;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real OpenAI client (LangChain4j's OpenAiEmbeddingModel, speaking OpenAI's HTTP API) pointed at
 * Kiln, with inference protected: the admin token is the client's API key, as operators would set it.
 */
@QuarkusTest
@TestProfile(OpenAiClientTest.ProtectedInference.class)
class OpenAiClientTest {

    public static class ProtectedInference implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("ai.models.admin-token", WithAdminToken.TOKEN, "ai.models.protect-inference", "true");
        }
    }

    @ConfigProperty(name = "quarkus.http.test-port")
    int port;

    OpenAiEmbeddingModel client(String key) {
        return OpenAiEmbeddingModel.builder().baseUrl("http://localhost:" + port + "/v1").apiKey(key)
                .modelName("all-minilm-l6-v2-q").build();
    }

    @Test
    void anOpenAiClientGetsTheSameVectorsAsLangChain4jInProcess() throws Exception {
        Startup.awaitStarted();
        List<TextSegment> texts = List.of(TextSegment.from("Kiln keeps models hot."), TextSegment.from("Les modèles restent chauds."));
        Response<List<Embedding>> answer = client(WithAdminToken.TOKEN).embedAll(texts);
        AllMiniLmL6V2QuantizedEmbeddingModel reference = new AllMiniLmL6V2QuantizedEmbeddingModel();
        assertEquals(2, answer.content().size());
        for (int i = 0; i < texts.size(); i++) {
            double cos = Vectors.cosine(answer.content().get(i).vector(), reference.embed(texts.get(i)).content().vector());
            assertTrue(cos >= 0.9999, "cosine " + cos);
        }
        assertTrue(answer.tokenUsage().inputTokenCount() > 10, "usage reaches the client: " + answer.tokenUsage());
    }

    @Test
    void withoutTheTokenTheClientIsRefusedInOpenAisShape() throws Exception {
        Startup.awaitStarted();
        RuntimeException refused = assertThrows(RuntimeException.class, () -> client("wrong-key").embed("hello"));
        assertTrue(String.valueOf(refused.getMessage()).contains("token") || refused.getClass().getSimpleName().contains("Authentication"),
                "the client sees why: " + refused);
        given().contentType("application/json").body(Map.of("model", "all-minilm-l6-v2-q", "input", "x")).post("/v1/embeddings")
                .then().statusCode(401).header("WWW-Authenticate", containsString("Bearer"))
                .body("error.type", equalTo("authentication_error")).body("error.message", containsString("token"));
        given().contentType("application/json").body("{}").post("/v2/models/all-minilm-l6-v2-q/infer")
                .then().statusCode(401);
        // With protect-inference a key that is not the token is refused, as no key is.
        given().contentType("application/json").header("Authorization", "Bearer wrong-key")
                .body(Map.of("model", "all-minilm-l6-v2-q", "input", "x")).post("/v1/embeddings")
                .then().statusCode(401).body("error.code", equalTo("invalid_api_key"));
        given().contentType("application/json").header("Authorization", "Bearer wrong-key").body("{}")
                .post("/v2/models/all-minilm-l6-v2-q/infer").then().statusCode(401);
        given().get("/v1/models").then().statusCode(200);
    }
}
