package dev.kiln.ocr;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * How the OCR steps run a model: a model of the repository by name, named float inputs in, named
 * float outputs out (all of the model's outputs). Rows of a batch are independent, so whoever
 * implements this may merge the rows of concurrent calls with the same shapes, and split them again.
 * Calls may come from several threads at once.
 */
public interface ModelCalls {

    /** Runs the model and waits for its outputs. */
    Map<String, FloatTensor> run(String model, Map<String, FloatTensor> inputs);

    /**
     * Starts a run without waiting. The default runs it on the caller's thread. Whatever is chained
     * on the answer runs on the thread that completes it: an implementation decides which that is.
     */
    default CompletableFuture<Map<String, FloatTensor>> submit(String model, Map<String, FloatTensor> inputs) {
        try {
            return CompletableFuture.completedFuture(run(model, inputs));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Several runs of one model that belong together (the lines of one image): answered in their
     * order, the first failure failing them all. An implementation with several workers runs them
     * side by side, as one unit of work (one place in a queue, whatever their number). The default
     * submits each.
     */
    default CompletableFuture<List<Map<String, FloatTensor>>> submitTogether(String model, List<Map<String, FloatTensor>> inputs) {
        List<CompletableFuture<Map<String, FloatTensor>>> runs = new ArrayList<>(inputs.size());
        for (Map<String, FloatTensor> in : inputs) {
            runs.add(submit(model, in));
        }
        return CompletableFuture.allOf(runs.toArray(CompletableFuture[]::new))
                .thenApply(done -> runs.stream().map(CompletableFuture::join).toList());
    }

    /**
     * As {@link #submitTogether(String, List)}, with each run's outputs read by {@code read} as soon
     * as that run ends: an image's lines can number a thousand, and holding every raw output until the
     * last one is done held hundreds of megabytes of direct memory per request. The default reads them
     * at the end.
     */
    default <R> CompletableFuture<List<R>> submitTogether(String model, List<Map<String, FloatTensor>> inputs,
                                                          Function<Map<String, FloatTensor>, R> read) {
        return submitTogether(model, inputs).thenApply(all -> all.stream().map(read).toList());
    }
}
