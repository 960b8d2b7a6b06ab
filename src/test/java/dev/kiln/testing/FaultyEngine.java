package dev.kiln.testing;

import ai.onnxruntime.OrtEnvironment;
import dev.kiln.config.AiModelsConfig;
import dev.kiln.runtime.ExecutionProviders;
import dev.kiln.runtime.OnnxEngine;
import jakarta.enterprise.inject.Alternative;
import jakarta.inject.Inject;

import java.util.concurrent.atomic.AtomicReference;

/**
 * The real engine, with one fault a test can arm: the next time an inference run asks for ONNX
 * Runtime's environment (to make its input tensors), it gets the armed Error instead. That is the
 * run stage failing the way a full heap or a native fault makes it fail. Enabled only by the test
 * profiles that ask for it.
 */
@Alternative
@jakarta.inject.Singleton
public class FaultyEngine extends OnnxEngine {

    private final AtomicReference<Error> armed = new AtomicReference<>();

    @Inject
    public FaultyEngine(AiModelsConfig config, ExecutionProviders providers) {
        super(config, providers);
    }

    public void failNextRun(Error fault) {
        armed.set(fault);
    }

    @Override
    public OrtEnvironment environment() {
        Error fault = StackWalker.getInstance().walk(frames -> frames.anyMatch(f -> f.getClassName().endsWith("BatchRunner")))
                ? armed.getAndSet(null) : null;
        if (fault != null) {
            throw fault;
        }
        return super.environment();
    }
}
