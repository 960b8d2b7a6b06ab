package dev.kiln.inference;

import java.util.concurrent.CompletionStage;

/**
 * Runs the served names that are not models of their own (pipelines): the inference core hands such
 * a call over before it would look the name up among the models, so REST, binary and gRPC callers
 * reach a pipeline as they reach a model. Implemented where pipelines are defined; their model steps
 * come back here as ordinary calls.
 */
public interface CompositeInference {

    /** True when {@code name} is one this runs. */
    boolean runs(String name);

    /** Reads the call against the composite's signature, runs it, answers in the call's own form. */
    <T> CompletionStage<T> infer(String name, InferenceCall<T> call);
}
