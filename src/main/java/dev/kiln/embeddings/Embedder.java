package dev.kiln.embeddings;

import dev.kiln.catalog.ModelManifest;
import dev.kiln.runtime.TensorSpec;

import java.util.List;

/**
 * What embedding with one model takes, read from its manifest and its ONNX file: the token inputs
 * it has, the output to pool (token states [rows, positions, hidden] or vectors [rows, hidden]),
 * its width when the file states it (else -1), how to pool, and how many tokens and rows a run may carry.
 */
record Embedder(String model, List<String> inputs, String output, boolean tokenStates, int hidden, Pooling pooling,
                boolean normalize, int maxTokens, int rowsPerRun) {

    static final String IDS = "input_ids";
    static final String MASK = "attention_mask";
    static final String TYPES = "token_type_ids";

    static Embedder of(String model, ModelManifest.Embedding e, List<TensorSpec> inputs, List<TensorSpec> outputs, int maxTokens,
                       int rowsPerRun) {
        List<String> names = inputs.stream().map(TensorSpec::name).toList();
        if (!names.contains(IDS) || !names.stream().allMatch(n -> n.equals(IDS) || n.equals(MASK) || n.equals(TYPES))) {
            throw OpenAiException.invalid("model", "model '" + model + "' takes " + names + "; embeddings need input_ids"
                    + " (and optionally attention_mask, token_type_ids)");
        }
        TensorSpec out = outputs.stream().filter(o -> o.shape().length == 3).findFirst()
                .or(() -> outputs.stream().filter(o -> o.shape().length == 2).findFirst())
                .orElseThrow(() -> OpenAiException.invalid("model", "model '" + model + "' has no output shaped"
                        + " [rows, positions, hidden] or [rows, hidden] to take embeddings from"));
        Pooling pooling;
        try {
            pooling = Pooling.of(e.pooling());
        } catch (IllegalArgumentException bad) {
            throw OpenAiException.invalid("model", "model '" + model + "': " + bad.getMessage() + " (its model.yaml)");
        }
        long hidden = out.shape()[out.shape().length - 1];
        return new Embedder(model, names, out.name(), out.shape().length == 3, hidden > 0 ? (int) hidden : -1, pooling,
                e.normalize() == null || e.normalize(), maxTokens, rowsPerRun);
    }
}
