package dev.kiln.pipelines;

import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * A built-in processing step as one pipeline set it up (its options read, its models checked): the
 * names it reads and writes with their datatypes and shapes, and its work on one request's tensors.
 * It runs on the pipelines' own step pool, never on an inference worker or the event loop, and never
 * blocks there: a step that calls models answers when they have.
 */
interface BuiltinStep {

    /** What it reads, by its own input names, in a stable order. */
    Map<String, Port> inputs();

    /** What it writes, by its own output names, in a stable order. */
    Map<String, Port> outputs();

    CompletableFuture<Map<String, Tensor>> run(Map<String, Tensor> in, StepContext context);

    /** The rows one run handled, for the step's telemetry: its first output's first dimension unless it says otherwise. */
    default long rows(Map<String, Tensor> in, Map<String, Tensor> out) {
        Tensor first = out.get(outputs().keySet().iterator().next());
        return first == null ? 0 : first.rows();
    }
}
