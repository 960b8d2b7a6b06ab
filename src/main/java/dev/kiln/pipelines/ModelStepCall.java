package dev.kiln.pipelines;

import dev.kiln.inference.InferenceCall;
import dev.kiln.inference.ModelInputs;
import dev.kiln.inference.ModelSignature;
import dev.kiln.inference.SignatureChecks;
import dev.kiln.runtime.OutputTensor;
import dev.kiln.runtime.TensorBuffer;
import dev.kiln.runtime.TensorSpec;

import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * A pipeline's model step as an inference call: its wired tensors checked against the model's
 * session (datatype, shape, input_limits) and handed over as they are (direct memory: no copy), the
 * outputs it wires asked for, and the answer kept as tensors for the steps after it. Its request and
 * answer go through the model's queue, batcher, lease and telemetry like any other caller's.
 */
final class ModelStepCall implements InferenceCall<Map<String, Tensor>> {

    private final PipelinePlan.Step step;
    private final Map<String, Tensor> tensors;
    private final BooleanSupplier gone;

    /** {@code tensors}: the request's tensors so far, by the pipeline's names. */
    ModelStepCall(PipelinePlan.Step step, Map<String, Tensor> tensors, BooleanSupplier gone) {
        this.step = step;
        this.tensors = tensors;
        this.gone = gone;
    }

    @Override
    public ModelInputs decode(ModelSignature model) {
        Map<String, TensorBuffer> byName = new HashMap<>();
        for (Map.Entry<String, String> wire : step.inputs().entrySet()) {
            TensorSpec spec = SignatureChecks.input(model, wire.getKey(), byName.keySet());
            Tensor t = tensors.get(wire.getValue());
            SignatureChecks.datatype(spec, t.type().name());
            SignatureChecks.shape(model, spec, t.shape());
            byName.put(wire.getKey(), t.input(wire.getKey()));
        }
        return new ModelInputs(SignatureChecks.ordered(model, byName), new HashSet<>(step.outputs().keySet()));
    }

    @Override
    public boolean abandoned() {
        return gone.getAsBoolean();
    }

    @Override
    public Map<String, Tensor> encode(List<OutputTensor> outputs) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (OutputTensor o : outputs) {
            String tensor = step.outputs().get(o.name());
            if (tensor != null) {
                out.put(tensor, Tensor.of(o));
            }
        }
        return out;
    }
}
