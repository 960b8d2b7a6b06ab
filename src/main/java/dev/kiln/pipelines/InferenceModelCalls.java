package dev.kiln.pipelines;

import dev.kiln.inference.InferenceCall;
import dev.kiln.inference.InferenceService;
import dev.kiln.inference.ModelInputs;
import dev.kiln.inference.ModelSignature;
import dev.kiln.inference.SignatureChecks;
import dev.kiln.ocr.FloatTensor;
import dev.kiln.ocr.ModelCalls;
import dev.kiln.runtime.Datatype;
import dev.kiln.runtime.OutputTensor;
import dev.kiln.runtime.TensorBuffer;
import dev.kiln.runtime.TensorSpec;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * The OCR steps' {@link ModelCalls} on Kiln's inference core: each call is an {@link InferenceCall}
 * whose inputs are the steps' own direct buffers (no copy) and whose outputs are read where the core
 * copied them out of ONNX Runtime (no copy either). A unit of calls ({@link #submitTogether}) takes
 * one place in the model's queue, whatever the number of lines. The core completes a call on the
 * inference worker that ran it; the answer hops to the step pool here, so the OCR code that follows
 * never runs on a worker meant for models.
 */
final class InferenceModelCalls implements ModelCalls {

    private final InferenceService inference;
    private final Executor steps;
    private final Context trace;
    private final BooleanSupplier gone;

    InferenceModelCalls(InferenceService inference, Executor steps, Context trace, BooleanSupplier gone) {
        this.inference = inference;
        this.steps = steps;
        this.trace = trace;
        this.gone = gone;
    }

    @Override
    public Map<String, FloatTensor> run(String model, Map<String, FloatTensor> inputs) {
        return submit(model, inputs).join();
    }

    @Override
    public CompletableFuture<Map<String, FloatTensor>> submit(String model, Map<String, FloatTensor> inputs) {
        try (Scope s = trace.makeCurrent()) {
            return inference.inferStable(model, new FloatCall<>(inputs, Function.identity())).toCompletableFuture().thenApplyAsync(a -> a, steps);
        }
    }

    @Override
    public CompletableFuture<List<Map<String, FloatTensor>>> submitTogether(String model, List<Map<String, FloatTensor>> inputs) {
        return submitTogether(model, inputs, Function.identity());
    }

    /** Each run's outputs are read on the worker that ran it, so only what {@code read} keeps outlives the run. */
    @Override
    public <R> CompletableFuture<List<R>> submitTogether(String model, List<Map<String, FloatTensor>> inputs,
                                                         Function<Map<String, FloatTensor>, R> read) {
        List<FloatCall<R>> calls = new ArrayList<>(inputs.size());
        inputs.forEach(in -> calls.add(new FloatCall<>(in, read)));
        try (Scope s = trace.makeCurrent()) {
            return inference.inferTogetherStable(model, calls).toCompletableFuture().thenApplyAsync(a -> a, steps);
        }
    }

    /** One run of float tensors in, all of the model's outputs out, read by {@code read}. */
    private final class FloatCall<R> implements InferenceCall<R> {
        private final Map<String, FloatTensor> inputs;
        private final Function<Map<String, FloatTensor>, R> read;

        FloatCall(Map<String, FloatTensor> inputs, Function<Map<String, FloatTensor>, R> read) {
            this.inputs = inputs;
            this.read = read;
        }

        @Override
        public ModelInputs decode(ModelSignature model) {
            Map<String, TensorBuffer> byName = new HashMap<>();
            for (Map.Entry<String, FloatTensor> e : inputs.entrySet()) {
                TensorSpec spec = SignatureChecks.input(model, e.getKey(), byName.keySet());
                SignatureChecks.datatype(spec, Datatype.FP32.name());
                SignatureChecks.shape(model, spec, e.getValue().shape());
                byName.put(e.getKey(), TensorBuffer.ofNative(e.getKey(), Datatype.FP32, e.getValue().shape(), e.getValue().nativeBytes()));
            }
            return new ModelInputs(SignatureChecks.ordered(model, byName), Set.of());
        }

        @Override
        public boolean abandoned() {
            return gone.getAsBoolean();
        }

        @Override
        public R encode(List<OutputTensor> outputs) {
            Map<String, FloatTensor> out = new LinkedHashMap<>();
            for (OutputTensor o : outputs) {
                if (o.type() != Datatype.FP32) {
                    throw new IllegalStateException("output '" + o.name() + "' is " + o.type() + "; the OCR steps read FP32");
                }
                out.put(o.name(), FloatTensor.over(o.shape(), o.nativeOrder()));
            }
            return read.apply(out);
        }
    }
}
