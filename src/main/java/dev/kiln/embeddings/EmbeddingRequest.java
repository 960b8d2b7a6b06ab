package dev.kiln.embeddings;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * OpenAI's embeddings request. {@code input}: a string, an array of strings, an array of token ids
 * or an array of such arrays. Fields OpenAI may add later are ignored rather than refused, as its
 * own server does, so newer SDKs keep working.
 */
@RegisterForReflection
@JsonIgnoreProperties(ignoreUnknown = true)
public record EmbeddingRequest(String model, JsonNode input, String encodingFormat, Integer dimensions, String user) {
}
