package dev.kiln.pipelines;

import dev.kiln.inference.ModelSignature;
import dev.kiln.runtime.TensorSpec;

import java.util.List;
import java.util.Map;

/**
 * A pipeline definition that passed every check: what it takes and answers, its steps in an order in
 * which every tensor is written before it is read, and the models it runs (in the order its steps
 * first use them).
 */
record PipelinePlan(String name, List<TensorSpec> inputs, List<TensorSpec> outputs, List<Step> steps, List<String> models) {

    /**
     * One step: a model ({@code model}) or a built-in ({@code builtin}); {@code inputs} and
     * {@code outputs} map the step's own names to the pipeline's tensor names; {@code uses} are the
     * models the step runs.
     */
    record Step(String name, String model, String builtinName, BuiltinStep builtin, Map<String, String> inputs,
                Map<String, String> outputs, List<String> uses) {

        boolean isModel() {
            return model != null;
        }

        /** The model it runs, or the built-in it is, as the models status shows it. */
        String what() {
            return isModel() ? model : builtinName;
        }
    }

    /** What V2 requests to the pipeline are read and checked against. */
    ModelSignature signature() {
        return new ModelSignature(inputs, outputs, Map.of());
    }
}
