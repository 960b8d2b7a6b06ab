package dev.kiln.inference;

import dev.kiln.runtime.TensorBuffer;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A V2 inference request, read and checked against the model: every input decoded into a
 * {@link TensorBuffer}, the outputs asked for (empty: all of them), and which outputs go back as
 * binary tensor data.
 */
record V2Request(String id, Map<String, Object> parameters, List<TensorBuffer> inputs, List<Output> outputs,
                 boolean binaryOutput) {

    /** An output asked for by name; {@code binary} from its {@code binary_data} parameter. */
    record Output(String name, boolean binary) {
    }

    /** Names of the outputs the run must produce for this request (empty: all). */
    Set<String> outputNames() {
        return outputs.stream().map(Output::name).collect(java.util.stream.Collectors.toUnmodifiableSet());
    }

    /** Whether an output goes back as binary tensor data. */
    boolean binary(String output) {
        return binaryOutput || outputs.stream().anyMatch(r -> r.name().equals(output) && r.binary());
    }
}
