package dev.kiln.inference;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.testing.DirectOrt;
import dev.kiln.testing.Json;
import dev.kiln.testing.V2;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The service's answer for "[CLS] hello world [SEP]" equals ONNX Runtime's own, called directly. */
@QuarkusTest
class MiniLmInferenceTest {

    @Test
    void helloWorldMatchesOnnxRuntimeCalledDirectly() throws Exception {
        JsonNode out = Json.of(V2.infer("all-minilm-l6-v2-q", V2.helloWorld()).statusCode(200));
        assertEquals("hello", out.get("id").asText());
        assertEquals("all-minilm-l6-v2-q", out.get("model_name").asText());
        JsonNode hidden = out.get("outputs").get(0);
        assertEquals("last_hidden_state", hidden.get("name").asText());
        assertEquals("FP32", hidden.get("datatype").asText());
        assertEquals("[1,4,384]", hidden.get("shape").toString());

        float[][][] expected = DirectOrt.miniLmHelloWorld();
        JsonNode data = hidden.get("data");
        assertEquals(4 * 384, data.size());
        for (int t = 0; t < 4; t++) {
            for (int h = 0; h < 384; h++) {
                assertEquals(expected[0][t][h], data.get(t * 384 + h).asDouble(), 1e-4, "token " + t + " dim " + h);
            }
        }
    }

}
