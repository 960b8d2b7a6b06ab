package dev.kiln.inference;

import dev.kiln.runtime.Datatype;
import dev.kiln.runtime.OutputTensor;

import java.util.List;

/**
 * One request to a model in its caller's own form (a V2 REST body, a gRPC message, tokenized texts,
 * a pipeline step's tensors). The inference core knows only tensors: it asks the call to read itself
 * into the run's inputs and, once the outputs are out of ONNX Runtime and the model's lease is
 * released, to write its answer. Both happen on an inference worker, so the event loop only ever
 * moves bytes, except for a request whose model runs it in less than a thread hop's worth more
 * (ai.models.inference.run-on-event-loop-below), which runs where it was received.
 */
public interface InferenceCall<T> {

    /** The request read and checked against the model's signature: its input tensors and the outputs it wants. */
    ModelInputs decode(ModelSignature model);

    /**
     * How many bytes the answer takes for an output of this datatype and element count, in the
     * caller's form: the memory it will hold, compared with ai.models.inference.max-answer-bytes
     * before anything runs. The raw size by default.
     */
    default long answerBytes(String output, Datatype type, long elements) {
        return elements * (type == Datatype.BYTES ? 16 : type.bytesPerElement());
    }

    /**
     * True once the caller is gone (its connection closed, its RPC cancelled): what it has not had
     * run yet is then not run. Asked before each part of a unit and before each run.
     */
    default boolean abandoned() {
        return false;
    }

    /**
     * The request's size as it arrived, in bytes; -1 when there is none (tensors handed in). What
     * reading it would cost is foreseen from it, to tell whether the request may be read on the
     * thread that received it (see InferenceService.runsHere); a call without a size never is.
     */
    default long wireBytes() {
        return -1;
    }

    /**
     * False when the event loop that received the call has others of its callers waiting on it: an
     * HTTP/2 connection carries many calls on one loop, and a run there would hold back the reading
     * of all the others while the workers idle. Such a call goes to a worker, however cheap.
     */
    default boolean aloneOnItsLoop() {
        return true;
    }

    /** The answer from the caller's rows of the outputs it asked for, in the order it asked (all outputs: the model's order). */
    T encode(List<OutputTensor> outputs);
}
