package dev.kiln.ocr;

import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * How the OCR engine runs a model: a model of the repository by name, named float inputs in, named
 * float outputs out (all of the model's outputs). Rows of a batch are independent, so whoever
 * implements this may merge the rows of concurrent calls with the same shapes, and split them again.
 * Calls may come from several threads at once.
 */
public interface ModelCalls {

    /** Runs the model and waits for its outputs. */
    Map<String, FloatTensor> run(String model, Map<String, FloatTensor> inputs);

    /**
     * Starts a run without waiting; the engine submits all the recognition batches of one image at
     * once, so an implementation with several workers runs them side by side. The default runs it
     * on the caller's thread.
     */
    default CompletableFuture<Map<String, FloatTensor>> submit(String model, Map<String, FloatTensor> inputs) {
        try {
            return CompletableFuture.completedFuture(run(model, inputs));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
