package dev.kiln.errors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class JsonErrorsTest {

    /** Well-formed JSON past the reader's bound on a string was "malformed JSON", which sent the caller looking for a typo. */
    @Test
    void aStringPastTheReadersBoundIsNamedAsTooLargeNotMalformed() {
        String body = "{\"input\":\"" + "a".repeat(20_000_001) + "\"}";
        JsonProcessingException e = assertThrows(JsonProcessingException.class, () -> new ObjectMapper().readValue(body, JsonNode.class));
        assertEquals("the JSON is too large to read: String value length (20000001) exceeds the maximum allowed (20000000)",
                JsonErrors.describe(e));
    }

    @Test
    void malformedJsonIsStillMalformed() {
        JsonProcessingException e = assertThrows(JsonProcessingException.class, () -> new ObjectMapper().readValue("{\"a\":", JsonNode.class));
        assertEquals(true, JsonErrors.describe(e).startsWith("malformed JSON: "), JsonErrors.describe(e));
    }
}
