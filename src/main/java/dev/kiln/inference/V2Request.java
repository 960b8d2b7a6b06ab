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

    /** The rows this request puts into a batch (the first dimension of its inputs). */
    long rows() {
        return inputs.isEmpty() ? 1 : inputs.get(0).rows();
    }

    /** Two requests can share one run when every input stacks along the first dimension and they ask for the same outputs. */
    boolean batchesWith(V2Request other) {
        if (inputs.size() != other.inputs.size() || inputs.isEmpty() || !outputNames().equals(other.outputNames())) {
            return false;
        }
        for (int i = 0; i < inputs.size(); i++) {
            if (!inputs.get(i).stacksWith(other.inputs.get(i))) {
                return false;
            }
        }
        long rows = rows();
        return inputs.stream().allMatch(t -> t.rows() == rows) && other.inputs.stream().allMatch(t -> t.rows() == other.rows());
    }
}
