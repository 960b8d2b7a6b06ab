package dev.kiln.inference;

import dev.kiln.catalog.ModelManifest;
import dev.kiln.config.RuntimeSettings;
import dev.kiln.runtime.TensorSpec;

import java.util.List;
import java.util.Set;

/**
 * How one model's waiting requests are grouped into runs: from model.yaml {@code batching}, for
 * models that can be batched without changing anyone's answer. That takes a dynamic first dimension
 * on every input and output, and no operator that looks across rows: dynamic quantization
 * (DynamicQuantizeLinear) picks one scale for the whole batch, so a row's answer would depend on its
 * batch-mates (measured on the demo's int8 MiniLM: up to 0.33 apart). {@code why} says how it was
 * decided, for the models status.
 */
record BatchPolicy(int maxBatchSize, long maxDelayNanos, List<Integer> preferred, String why) {

    /** Operators whose output for one row depends on the other rows of the batch. */
    static final Set<String> ACROSS_ROWS = Set.of("DynamicQuantizeLinear", "DynamicQuantizeMatMul", "DynamicQuantizeLSTM");

    static BatchPolicy off(String why) {
        return new BatchPolicy(1, 0, List.of(), why);
    }

    static BatchPolicy of(ModelManifest manifest, List<TensorSpec> inputs, List<TensorSpec> outputs, Set<String> operators,
                          boolean allowed) {
        ModelManifest.Batching b = manifest.batching();
        if (b == null || b.maxBatchSize() == null || b.maxBatchSize() <= 1) {
            return off("off: model.yaml asks for no batching");
        }
        if (!allowed) {
            return off("off: ai.models.inference.batching is false");
        }
        if (inputs.isEmpty() || !inputs.stream().allMatch(BatchPolicy::dynamicFirst) || !outputs.stream().allMatch(BatchPolicy::dynamicFirst)) {
            return off("off: every input and output needs a dynamic first dimension to be batched");
        }
        List<String> across = operators.stream().filter(ACROSS_ROWS::contains).sorted().toList();
        if (!across.isEmpty()) {
            return off("off: the model uses " + String.join(", ", across) + ", which quantizes a whole batch with one scale,"
                    + " so a row's answer would depend on the other rows");
        }
        long delay = b.maxQueueDelay() == null ? 0 : RuntimeSettings.parseDuration(b.maxQueueDelay()).toNanos();
        List<Integer> preferred = b.preferredBatchSizes() == null ? List.of() : List.copyOf(b.preferredBatchSizes());
        return new BatchPolicy(b.maxBatchSize(), delay, preferred, "on: up to " + b.maxBatchSize() + " rows, waiting up to "
                + (b.maxQueueDelay() == null ? "0ms" : b.maxQueueDelay()) + " while another batch runs");
    }

    private static boolean dynamicFirst(TensorSpec spec) {
        return spec.shape().length > 0 && spec.shape()[0] < 0;
    }

    boolean enabled() {
        return maxBatchSize > 1;
    }

    /** Enough requests wait to run now rather than wait for more. */
    boolean full(int waiting) {
        return waiting >= maxBatchSize || preferred.contains(waiting);
    }
}
