package dev.kiln.pipelines;

/** What makes a pipeline definition unusable: the pipeline is FAILED with this as its reason. */
final class PipelineProblem extends RuntimeException {

    PipelineProblem(String reason) {
        super(reason, null, false, false);
    }
}
