package dev.kiln.grpc;

import dev.kiln.errors.KilnError;
import dev.kiln.inference.InferenceCall;
import dev.kiln.inference.ModelInputs;
import dev.kiln.inference.ModelSignature;
import dev.kiln.inference.SignatureChecks;
import dev.kiln.runtime.Datatype;
import dev.kiln.runtime.OutputTensor;
import dev.kiln.runtime.TensorBuffer;
import dev.kiln.runtime.TensorSpec;
import inference.ModelInferRequest;
import inference.ModelInferResponse;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A ModelInfer request as an inference call: protobuf tensors read straight into the buffers ONNX
 * Runtime takes, and the answer written in the form the request used (raw when its inputs were
 * raw, typed when they were typed), raw outputs wrapping Kiln's buffers without a copy.
 */
final class GrpcCall implements InferenceCall<ModelInferResponse> {

    private final ModelInferRequest request;
    private final String version;
    private final boolean raw;
    /** The RPC's context: cancelled when the client cancels or its deadline passes. */
    private final io.grpc.Context rpc = io.grpc.Context.current();
    private volatile boolean aloneOnItsLoop = true;

    /** The request, to be run by {@code version} of its model (which the answer names). */
    GrpcCall(ModelInferRequest request, int version) {
        this.request = request;
        this.version = Integer.toString(version);
        this.raw = request.getRawInputContentsCount() > 0;
        if (raw && request.getRawInputContentsCount() != request.getInputsCount()) {
            throw KilnError.invalid("raw_input_contents has " + request.getRawInputContentsCount() + " entries for "
                    + request.getInputsCount() + " inputs: send one per input, in order, or use typed contents for all");
        }
    }

    @Override
    public boolean abandoned() {
        return rpc.isCancelled();
    }

    @Override
    public long wireBytes() {
        return request.getSerializedSize();
    }

    @Override
    public boolean aloneOnItsLoop() {
        return aloneOnItsLoop;
    }

    /** Whether other calls of the loop that received this one were in flight when it was submitted (LoopCalls). */
    void aloneOnItsLoop(boolean alone) {
        this.aloneOnItsLoop = alone;
    }

    @Override
    public ModelInputs decode(ModelSignature model) {
        Map<String, TensorBuffer> byName = new LinkedHashMap<>();
        for (int i = 0; i < request.getInputsCount(); i++) {
            ModelInferRequest.InferInputTensor in = request.getInputs(i);
            TensorSpec spec = SignatureChecks.input(model, in.getName(), byName.keySet());
            Datatype type = SignatureChecks.datatype(spec, in.getDatatype());
            long[] shape = GrpcTensors.shape(in.getShapeList());
            SignatureChecks.shape(model, spec, shape);
            if (raw && in.hasContents()) {
                throw KilnError.invalid("input '" + in.getName() + "' has typed contents while raw_input_contents is used: use one form");
            }
            byName.put(in.getName(), raw ? GrpcTensors.raw(in.getName(), type, shape, request.getRawInputContents(i))
                    : GrpcTensors.typed(in, type, shape));
        }
        Set<String> outputs = new HashSet<>();
        for (ModelInferRequest.InferRequestedOutputTensor o : request.getOutputsList()) {
            outputs.add(SignatureChecks.once(SignatureChecks.output(model, o.getName()), outputs));
        }
        return new ModelInputs(SignatureChecks.ordered(model, byName), outputs);
    }

    @Override
    public ModelInferResponse encode(List<OutputTensor> outputs) {
        boolean rawAnswer = raw || request.getInputsCount() == 0;
        ModelInferResponse.Builder out = ModelInferResponse.newBuilder()
                .setModelName(request.getModelName())
                .setModelVersion(version)
                .setId(request.getId());
        for (OutputTensor o : ordered(outputs)) {
            ModelInferResponse.InferOutputTensor.Builder t = ModelInferResponse.InferOutputTensor.newBuilder()
                    .setName(o.name()).setDatatype(o.type().name());
            for (long d : o.shape()) {
                t.addShape(d);
            }
            if (rawAnswer) {
                out.addRawOutputContents(GrpcTensors.raw(o));
            } else {
                t.setContents(GrpcTensors.typed(o));
            }
            out.addOutputs(t);
        }
        return out.build();
    }

    /** The outputs in the order the request named them (all, in the model's order, when it named none). */
    private List<OutputTensor> ordered(List<OutputTensor> outputs) {
        if (request.getOutputsCount() == 0) {
            return outputs;
        }
        return request.getOutputsList().stream()
                .map(r -> outputs.stream().filter(o -> o.name().equals(r.getName())).findFirst().orElseThrow())
                .toList();
    }
}
