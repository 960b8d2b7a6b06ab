package dev.kiln.pipelines;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.quarkus.runtime.annotations.RegisterForReflection;

import java.util.List;
import java.util.Map;

/**
 * {@code pipeline.yaml}: a pipeline's inputs and outputs, and its steps wired by tensor names. A step
 * runs a model of the repository ({@code model}) or a built-in ({@code builtin}, with the models it
 * calls under {@code models} and its settings under {@code options}); {@code inputs} maps each of
 * the step's own input names to the tensor it reads, {@code outputs} each of its output names to
 * the tensor it writes.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@RegisterForReflection
public record PipelineManifest(String name, String category, String description, Boolean enabled,
                               List<TensorDecl> inputs, List<TensorDecl> outputs, List<StepDecl> steps) {

    /** A tensor the pipeline takes or answers; -1 in {@code shape} for a size known when it runs. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @RegisterForReflection
    public record TensorDecl(String name, String datatype, List<Long> shape) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @RegisterForReflection
    public record StepDecl(String name, String model, String builtin, Map<String, String> models, Map<String, String> inputs,
                           Map<String, String> outputs, Map<String, Object> options) {
    }

    @JsonIgnore
    public boolean isEnabled() {
        return !Boolean.FALSE.equals(enabled);
    }

    public PipelineManifest withEnabled(boolean value) {
        return new PipelineManifest(name, category, description, value, inputs, outputs, steps);
    }
}
