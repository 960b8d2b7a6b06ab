package dev.kiln.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A model open in ONNX Runtime. Only the registry creates and closes it, and it closes it only when
 * no lease is held: closing a session a thread is running is a JVM crash.
 */
public final class LoadedModel implements AutoCloseable {

    private final OrtSession session;
    private final String executionProvider;
    private final List<String> fallbackReasons;
    private final List<TensorSpec> inputs;
    private final List<TensorSpec> outputs;
    private final OutputShapes outputShapes;
    private final Instant loadedAt = Instant.now();

    LoadedModel(OrtSession session, String executionProvider, List<String> fallbackReasons) throws OrtException {
        this.session = session;
        this.executionProvider = executionProvider;
        this.fallbackReasons = List.copyOf(fallbackReasons);
        this.inputs = TensorSpecs.of(session.getInputInfo());
        this.outputs = TensorSpecs.of(session.getOutputInfo());
        this.outputShapes = OutputShapes.of(session.getInputInfo(), session.getOutputInfo());
    }

    public OrtSession.Result run(Map<String, OnnxTensor> feeds, Set<String> requestedOutputs) throws OrtException {
        return requestedOutputs.isEmpty() ? session.run(feeds) : session.run(feeds, requestedOutputs);
    }

    public String executionProvider() {
        return executionProvider;
    }

    /** Why preferred providers were passed over for this model (empty when the first one worked). */
    public List<String> fallbackReasons() {
        return fallbackReasons;
    }

    public List<TensorSpec> inputs() {
        return inputs;
    }

    public List<TensorSpec> outputs() {
        return outputs;
    }

    /** What the outputs' shapes will be for given inputs, where the model's declarations tell. */
    public OutputShapes outputShapes() {
        return outputShapes;
    }

    public Instant loadedAt() {
        return loadedAt;
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            // Closing releases native memory; a failure here leaves nothing a caller could do.
        }
    }
}
