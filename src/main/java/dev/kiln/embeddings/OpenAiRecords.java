package dev.kiln.embeddings;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.quarkus.runtime.annotations.RegisterForReflection;

import java.util.List;

/** The JSON shapes of OpenAI's embeddings and models API, field for field. */
public final class OpenAiRecords {

    private OpenAiRecords() {
    }

    /** {@code embedding} is a float array, or a base64 string of little-endian float32 values. */
    @RegisterForReflection
    public record Embedding(String object, int index, Object embedding) {
    }

    @RegisterForReflection
    public record Usage(int promptTokens, int totalTokens) {
    }

    @RegisterForReflection
    public record EmbeddingList(String object, List<Embedding> data, String model, Usage usage) {
    }

    @RegisterForReflection
    public record Model(String id, String object, long created, String ownedBy) {
    }

    @RegisterForReflection
    public record ModelList(String object, List<Model> data) {
    }

    /** {@code {"error": {"message", "type", "param", "code"}}}: {@code param} and {@code code} may be null. */
    @RegisterForReflection
    public record ErrorEnvelope(Error error) {
    }

    @RegisterForReflection
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Error(String message, String type, String param, String code) {
    }
}
