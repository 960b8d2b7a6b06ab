package dev.kiln.pipelines;

import dev.kiln.errors.KilnError;
import dev.kiln.runtime.OutputTensor;
import dev.kiln.runtime.TensorSpec;

import java.util.Arrays;

/**
 * A pipeline's answer as its pipeline.yaml declares it. The declaration is what a caller reads in the
 * pipeline's V2 metadata, while the tensor comes from steps that may be swapped or misconfigured
 * after the check at load: a mismatch is the pipeline's fault, answered 500 with both, never passed on.
 */
final class DeclaredOutput {

    private DeclaredOutput() {
    }

    static void check(String pipeline, TensorSpec declared, OutputTensor made) {
        if (!declared.datatype().equals(made.type().name()) || !fits(declared.shape(), made.shape())) {
            throw KilnError.internal("pipeline '" + pipeline + "' declares output '" + declared.name()
                    + "' as " + declared.datatype() + " " + Arrays.toString(declared.shape()) + " but its steps made "
                    + made.type().name() + " " + Arrays.toString(made.shape()) + ": fix its pipeline.yaml");
        }
    }

    /** Same rank, and every fixed dimension equal; -1 takes any size. */
    static boolean fits(long[] declared, long[] shape) {
        if (declared.length != shape.length) {
            return false;
        }
        for (int i = 0; i < shape.length; i++) {
            if (declared[i] >= 0 && declared[i] != shape[i]) {
                return false;
            }
        }
        return true;
    }
}
