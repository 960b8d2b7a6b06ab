package dev.kiln.inference;

import dev.kiln.runtime.TensorBuffer;
import dev.kiln.runtime.TensorShapes;

import java.util.List;
import java.util.Set;

/** One run's inputs, in the model's order, and the outputs asked for (empty: all of them). */
public record ModelInputs(List<TensorBuffer> tensors, Set<String> outputs) {

    /** The rows these inputs put into a batch (their first dimension). */
    long rows() {
        return tensors.isEmpty() ? 1 : tensors.get(0).rows();
    }

    /** The values of all inputs together: what a run's cost grows with. */
    long elements() {
        long n = 0;
        for (TensorBuffer t : tensors) {
            n += TensorShapes.elements(t.name(), t.shape());
        }
        return n;
    }

    /** Two requests can share one run when every input stacks along the first dimension and they ask for the same outputs. */
    boolean batchesWith(ModelInputs other) {
        if (tensors.size() != other.tensors.size() || tensors.isEmpty() || !outputs.equals(other.outputs)) {
            return false;
        }
        for (int i = 0; i < tensors.size(); i++) {
            if (!tensors.get(i).stacksWith(other.tensors.get(i))) {
                return false;
            }
        }
        return sameRows() && other.sameRows();
    }

    private boolean sameRows() {
        long rows = rows();
        return tensors.stream().allMatch(t -> t.rows() == rows);
    }
}
