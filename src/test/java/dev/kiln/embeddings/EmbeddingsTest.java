package dev.kiln.embeddings;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.testing.Json;
import dev.kiln.testing.Startup;
import dev.kiln.testing.TestRepository;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import dev.kiln.registry.ModelRegistry;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.anyOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.instanceOf;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * POST /v1/embeddings against an independent implementation of the same model: LangChain4j's
 * in-process all-MiniLM-L6-v2 (int8), which tokenizes, runs and pools on its own. Every sentence,
 * including accented, Chinese and long ones, must come out with cosine similarity ≥ 0.9999.
 */
@QuarkusTest
class EmbeddingsTest {

    static final String Q = "all-minilm-l6-v2-q";
    static final String FP32 = "all-minilm-l6-v2";
    static final String LONG = "The committee reviewed the annual budget and discussed the new library, the park and the roads. "
            .repeat(30);
    static final List<String> SENTENCES = List.of(
            "hello world",
            "The quick brown fox jumps over the lazy dog.",
            "Crème brûlée à la française, déjà vu, naïve façade, São Paulo, Zürich.",
            "今天天气很好，我们去公园散步吧。",
            "  padded on both sides  ",
            LONG);

    static AllMiniLmL6V2QuantizedEmbeddingModel reference;

    @BeforeAll
    static void reference() {
        reference = new AllMiniLmL6V2QuantizedEmbeddingModel();
    }

    static JsonNode embed(Object body) {
        return Json.of(given().contentType("application/json").body(body).post("/v1/embeddings").then().statusCode(200));
    }

    static float[] vector(JsonNode answer, int i) {
        return Vectors.of(answer.get("data").get(i).get("embedding"));
    }

    @Inject
    dev.kiln.warmup.ServingPathRehearsal rehearsal;

    /** The warm-up's rehearsal opens the tokenizer of an eager embedding model, so the first request does not. */
    @Test
    void warmUpOpensTheTokenizerOfAnEagerEmbeddingModel() throws Exception {
        Startup.awaitStarted();
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> rehearsal.tokenizerOpened(Q));
        org.junit.jupiter.api.Assertions.assertFalse(rehearsal.tokenizerOpened("ppocr-v4-det"), "a model without embedding has no tokenizer to open");
    }

    @Test
    void everySentenceMatchesLangChain4j() throws Exception {
        Startup.awaitStarted();
        JsonNode answer = embed(Map.of("model", Q, "input", SENTENCES));
        assertEquals("list", answer.get("object").asText());
        assertEquals(Q, answer.get("model").asText());
        assertEquals(SENTENCES.size(), answer.get("data").size());
        for (int i = 0; i < SENTENCES.size(); i++) {
            JsonNode d = answer.get("data").get(i);
            assertEquals("embedding", d.get("object").asText());
            assertEquals(i, d.get("index").asInt());
            float[] ours = vector(answer, i);
            assertEquals(384, ours.length);
            float[] theirs = reference.embed(SENTENCES.get(i)).content().vector();
            double cos = Vectors.cosine(ours, theirs);
            System.out.printf("embeddings: cosine %.7f against LangChain4j for \"%s\"%n", cos,
                    SENTENCES.get(i).length() > 40 ? SENTENCES.get(i).substring(0, 40) + "…" : SENTENCES.get(i));
            assertTrue(cos >= 0.9999, "cosine " + cos + " for sentence " + i);
            assertEquals(1.0, Math.sqrt(dot(ours, ours)), 1e-5, "L2-normalised");
        }
        int tokens = answer.get("usage").get("prompt_tokens").asInt();
        assertEquals(tokens, answer.get("usage").get("total_tokens").asInt());
        assertTrue(tokens > 128 && tokens < 300, "usage counts the real tokens, the long text cut at its limit: " + tokens);
    }

    /**
     * Empty after trimming: LangChain4j cannot embed it (it drops [CLS] and [SEP] and has nothing
     * left), so the reference is ONNX Runtime run directly on [CLS][SEP], mean-pooled and normalised.
     */
    @Test
    void whitespaceOnlyIsTheEmbeddingOfClsSep() throws Exception {
        Startup.awaitStarted();
        JsonNode answer = embed(Map.of("model", Q, "input", List.of("   ", "")));
        float[] expected = direct(new long[]{101, 102});
        for (int i = 0; i < 2; i++) {
            double cos = Vectors.cosine(vector(answer, i), expected);
            assertTrue(cos >= 0.9999, "cosine " + cos);
        }
        assertEquals(4, answer.get("usage").get("prompt_tokens").asInt());
    }

    static float[] direct(long[] ids) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        long[] shape = {1, ids.length};
        try (OrtSession s = env.createSession(TestRepository.ROOT.resolve(Q).resolve("model.onnx").toString());
             OnnxTensor a = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape);
             OnnxTensor m = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[ids.length]).put(0, 1).put(1, 1), shape);
             OnnxTensor t = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[ids.length]), shape);
             OrtSession.Result r = s.run(Map.of("input_ids", a, "attention_mask", m, "token_type_ids", t))) {
            float[][] states = ((float[][][]) r.get(0).getValue())[0];
            float[] v = new float[states[0].length];
            for (float[] row : states) {
                for (int h = 0; h < v.length; h++) {
                    v[h] += row[h] / states.length;
                }
            }
            double n = Math.sqrt(dot(v, v));
            for (int h = 0; h < v.length; h++) {
                v[h] /= n;
            }
            return v;
        }
    }

    static double dot(float[] a, float[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d += (double) a[i] * b[i];
        }
        return d;
    }

    /** The fp32 model runs many inputs as padded multi-row runs: each row equals the input sent alone. */
    @Test
    void manyInputsRunInBatchesAndEqualOneAtATime() throws Exception {
        Startup.awaitStarted();
        List<String> inputs = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            inputs.add("sentence number " + i + " " + "with some more words ".repeat(i % 7));
        }
        long batchedBefore = batchedRuns(FP32);
        JsonNode together = embed(Map.of("model", FP32, "input", inputs));
        assertTrue(batchedRuns(FP32) > batchedBefore, "runs of more than one row happened");
        double worst = 0;
        for (int i = 0; i < inputs.size(); i++) {
            JsonNode alone = embed(Map.of("model", FP32, "input", inputs.get(i)));
            worst = Math.max(worst, Vectors.maxAbsDiff(vector(together, i), vector(alone, 0)));
        }
        System.out.printf("embeddings: batched vs alone, largest difference %.2e%n", worst);
        assertTrue(worst <= 1e-5, "batched rows equal one-at-a-time within 1e-5: " + worst);
    }

    /**
     * The int8 model runs one row at a time (its quantisation spans the batch), so 300 inputs are 300
     * runs. They are one unit in the model's queue: before, each run was a queue entry of its own and
     * anything over 64 inputs was a 503 that no retry could ever get past.
     */
    @Test
    void manyInputsOnAOneRowModelAreOneRequestNotAQueueFull() throws Exception {
        Startup.awaitStarted();
        List<String> inputs = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            inputs.add("short text " + i);
        }
        JsonNode answer = embed(Map.of("model", Q, "input", inputs));
        assertEquals(300, answer.get("data").size());
        assertEquals(299, answer.get("data").get(299).get("index").asInt());
        JsonNode alone = embed(Map.of("model", Q, "input", inputs.get(299)));
        assertTrue(Vectors.maxAbsDiff(vector(answer, 299), vector(alone, 0)) <= 1e-6, "the 300th vector is its own");
    }

    /** A caller that hangs up: the texts of its request that have not run yet are not run, and its lease is given back. */
    @Test
    void aCallerThatGoesAwayStopsItsRequest() throws Exception {
        Startup.awaitStarted();
        List<String> inputs = new ArrayList<>();
        for (int i = 0; i < 2048; i++) {
            inputs.add("the caller will not wait for text number " + i + " of this rather long request");
        }
        long before = executions(Q);
        byte[] body = new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsBytes(Map.of("model", Q, "input", inputs));
        java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
        try {
            client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://localhost:" + io.restassured.RestAssured.port + "/v1/embeddings"))
                    .timeout(java.time.Duration.ofMillis(800)).header("Content-Type", "application/json")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(body)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        } catch (java.net.http.HttpTimeoutException expected) {
            // The client hangs up.
        }

        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> registry.status(Q).inFlight() == 0);
        long ran = executions(Q) - before;
        System.out.printf("embeddings: %d of 2048 texts ran before the caller went away was seen%n", ran);
        assertTrue(ran < 2048, "the rest did not run: " + ran);
    }

    static long executions(String model) {
        return Json.of(given().get("/v2/models/" + model + "/stats").then().statusCode(200)).get("model_stats").get(0)
                .get("execution_count").asLong();
    }

    @Inject
    Tokenizers tokenizers;
    @Inject
    ModelRegistry registry;

    /** Long texts are cut before tokenizing; the tokens kept are exactly those of the whole text. */
    @Test
    void cuttingALongTextBeforeTokenizingKeepsItsTokens() {
        var entry = registry.status(Q).entry();
        java.util.Random random = new java.util.Random(3);
        String[] words = {"the", "committee's", "re-reviewed", "annual", "budget,", "naïve", "café", "3.14", "東京", "\u200b",
                "unbelievably", "(parenthetical)", "Straße", "e-mail:x@y.z", "\t", "—", "ﬁ"};
        List<String> texts = new ArrayList<>();
        for (int t = 0; t < 40; t++) {
            StringBuilder b = new StringBuilder();
            while (b.length() < 4_000 + t * 100) {
                b.append(words[random.nextInt(words.length)]).append(random.nextInt(9) == 0 ? "  \n " : " ");
            }
            texts.add(b.toString());
        }
        texts.add("\u200b ".repeat(2_000) + "finally a word");   // words that normalise to nothing: the whole text is used
        var cut = tokenizers.encodeAll(entry, texts, 128);
        for (int i = 0; i < texts.size(); i++) {
            assertEquals(java.util.Arrays.toString(tokenizers.encode(entry, texts.get(i), 128).getIds()),
                    java.util.Arrays.toString(cut[i].getIds()), "text " + i);
        }
    }

    /**
     * A text with no whitespace to cut at is capped before tokenizing: two million CJK characters took
     * the tokenizer 1.1 GB (a 3 GiB pod died of five million). Its tokens are those of its first characters.
     */
    @Test
    void aLongTextWithoutWhitespaceIsCappedBeforeTokenizing() {
        var entry = registry.status(Q).entry();
        String text = "中文字".repeat(700_000);
        long before = dev.kiln.registry.ResidentMemory.bytes();
        var encoded = tokenizers.encodeAll(entry, List.of(text, "a short one"), 128);
        long grew = dev.kiln.registry.ResidentMemory.bytes() - before;
        assertTrue(grew < 256L << 20, "the tokenizer read the whole text: resident memory grew " + (grew >> 20) + " MiB");
        assertEquals(java.util.Arrays.toString(tokenizers.encode(entry, text.substring(0, 300), 128).getIds()),
                java.util.Arrays.toString(encoded[0].getIds()));
        assertEquals(128, encoded[0].getIds().length);
        assertEquals(java.util.Arrays.toString(tokenizers.encode(entry, "a short one", 128).getIds()),
                java.util.Arrays.toString(encoded[1].getIds()));
    }

    static long batchedRuns(String model) {
        JsonNode stats = Json.of(given().get("/v2/models/" + model + "/stats").then().statusCode(200)).get("model_stats").get(0);
        long n = 0;
        for (JsonNode b : stats.get("batch_stats")) {
            if (b.get("batch_size").asLong() > 1) {
                n += b.get("compute_infer").get("count").asLong();
            }
        }
        return n;
    }

    @Test
    void tokenIdsAndBase64GiveTheSameVector() throws Exception {
        Startup.awaitStarted();
        float[] text = vector(embed(Map.of("model", Q, "input", "hello world")), 0);
        JsonNode ids = embed(Map.of("model", Q, "input", List.of(101, 7592, 2088, 102)));
        assertTrue(Vectors.maxAbsDiff(text, vector(ids, 0)) < 1e-6, "token ids are used as given");
        assertEquals(4, ids.get("usage").get("prompt_tokens").asInt());
        JsonNode nested = embed(Map.of("model", Q, "input", List.of(List.of(101, 7592, 2088, 102), List.of(101, 102))));
        assertEquals(2, nested.get("data").size());
        JsonNode b64 = embed(Map.of("model", Q, "input", "hello world", "encoding_format", "base64"));
        byte[] raw = Base64.getDecoder().decode(b64.get("data").get(0).get("embedding").asText());
        float[] decoded = new float[raw.length / 4];
        ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(decoded);
        assertEquals(0.0, Vectors.maxAbsDiff(text, decoded), "base64 carries the same float32 values");
        embed(Map.of("model", Q, "input", "hello", "dimensions", 384, "user", "someone"));
    }

    @Test
    void errorsComeInOpenAisShape() throws Exception {
        Startup.awaitStarted();
        given().contentType("application/json").body(Map.of("model", Q, "input", "x", "dimensions", 128)).post("/v1/embeddings")
                .then().statusCode(400).body("error.type", equalTo("invalid_request_error")).body("error.param", equalTo("dimensions"))
                .body("error.message", containsString("384"));
        given().contentType("application/json").body(Map.of("model", "no-such-model", "input", "x")).post("/v1/embeddings")
                .then().statusCode(404).body("error.code", equalTo("model_not_found")).body("error.param", equalTo("model"));
        given().contentType("application/json").body(Map.of("model", "ppocr-v4-det", "input", "x")).post("/v1/embeddings")
                .then().statusCode(400).body("error.message", containsString("does not embed"));
        given().contentType("application/json").body(Map.of("model", Q, "input", Map.of("a", 1))).post("/v1/embeddings")
                .then().statusCode(400).body("error.param", equalTo("input"));
        given().contentType("application/json").body(Map.of("model", Q, "input", List.of())).post("/v1/embeddings")
                .then().statusCode(400).body("error.param", equalTo("input"));
        given().contentType("application/json").body(Map.of("model", Q, "input", List.of("a", 3))).post("/v1/embeddings")
                .then().statusCode(400).body("error.message", containsString("input[1]"));
        // Both forms in one request were accepted; an unpaired surrogate was embedded as "" (V2 refuses it).
        given().contentType("application/json").body(Map.of("model", Q, "input", List.of("a", List.of(101, 102)))).post("/v1/embeddings")
                .then().statusCode(400).body("error.message", containsString("input[1] must be a string, as input[0] is"));
        given().contentType("application/json").body(Map.of("model", Q, "input", List.of(List.of(101, 102), "a"))).post("/v1/embeddings")
                .then().statusCode(400).body("error.message", containsString("input[1] must be an array of token ids"));
        given().contentType("application/json").body("{\"model\": \"" + Q + "\", \"input\": \"a\\ud800b\"}").post("/v1/embeddings")
                .then().statusCode(400).body("error.param", equalTo("input"))
                .body("error.message", containsString("unpaired surrogate at character 1"));
        given().contentType("application/json").body("{\"model\": \"" + Q + "\", \"input\": [\"\\ud83d\\ude00 ok\"]}").post("/v1/embeddings")
                .then().statusCode(200);
        given().contentType("application/json").body(Map.of("model", Q, "input", "x", "encoding_format", "hex")).post("/v1/embeddings")
                .then().statusCode(400).body("error.param", equalTo("encoding_format"));
        given().contentType("application/json").body(Map.of("input", "x")).post("/v1/embeddings")
                .then().statusCode(400).body("error.param", equalTo("model"));
        given().contentType("application/json").body(Map.of("model", Q, "input", List.of(101, 99999999, 102))).post("/v1/embeddings")
                .then().statusCode(400).body("error.type", equalTo("invalid_request_error"));
        given().contentType("application/json").body("{\"model\": ").post("/v1/embeddings")
                .then().statusCode(400).body("error.message", not(nullValue())).body("error.type", equalTo("invalid_request_error"));
        // Refused before a method is chosen: still OpenAI's shape.
        given().contentType("text/plain").body("hello").post("/v1/embeddings")
                .then().statusCode(415).body("error.type", equalTo("invalid_request_error")).body("error.message", containsString("application/json"));
        given().get("/v1/embeddings").then().statusCode(405).body("error.type", equalTo("invalid_request_error"));
        given().get("/v1/no-such-thing").then().statusCode(404).body("error.code", equalTo("not_found"));
        given().contentType("text/plain").body("hello").post("/api/v1/setup/ai-models/enable")
                .then().statusCode(anyOf(equalTo(401), equalTo(415))).body("error", instanceOf(String.class));
    }

    @Test
    void modelsListsTheModelsThatEmbed() throws Exception {
        given().get("/v1/models").then().statusCode(200).body("object", equalTo("list"))
                .body("data.id", hasItem(Q)).body("data.id", hasItem(FP32)).body("data.id", not(hasItem("ppocr-v4-det")))
                .body("data[0].object", equalTo("model")).body("data[0].owned_by", equalTo("kiln"));
    }

    /** One bookkeeping: embeddings count in the model's usage telemetry and its Prometheus requests. */
    @Test
    void embeddingsCountAsUseOfTheModel() throws Exception {
        Startup.awaitStarted();
        long before = usage(Q);
        embed(Map.of("model", Q, "input", "counted"));
        assertTrue(usage(Q) > before, "usage_count grows");
        String metrics = given().header("Accept", "text/plain; version=0.0.4").get("/q/metrics").asString();
        assertTrue(metrics.lines().anyMatch(l -> l.startsWith("ai_model_inference_requests_total") && l.contains("model=\"" + Q + "\"")
                && l.contains("outcome=\"success\"") && !l.endsWith(" 0.0")), "Prometheus counts them");
    }

    static long usage(String model) {
        return Json.of(given().get("/api/v1/setup/ai-models/telemetry").then().statusCode(200))
                .get("models").get(model).get("usage_count").asLong();
    }
}
