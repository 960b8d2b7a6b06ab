package dev.kiln.inference;

import ai.onnxruntime.OrtException;
import dev.kiln.errors.KilnError;
import dev.kiln.errors.OutOfMemory;

import java.util.concurrent.CompletionException;

/**
 * What a failure anywhere on the inference path becomes for the caller. Exhaustion is not a bug:
 * a heap that ran out answers 507 with a retry hint; ONNX Runtime refusing the request's values is
 * the caller's mistake (400); any other Error is Kiln's (500). Every request ends in one of these.
 */
final class Failures {

    private Failures() {
    }

    static Throwable of(String model, Throwable t) {
        Throwable f = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
        OutOfMemoryError oom = OutOfMemory.find(f);
        if (oom != null) {
            OutOfMemory.report("a request to '" + model + "'", oom);
            return new KilnError(KilnError.Kind.INSUFFICIENT_MEMORY, "Kiln ran out of memory answering '" + model
                    + "' (" + oom.getMessage() + "): retry shortly, or send fewer rows", 1, f);
        }
        if (f instanceof OrtException ort) {
            return refusal(model, ort);
        }
        if (f instanceof Error) {
            return new KilnError(KilnError.Kind.INTERNAL, "inference of '" + model + "' failed: " + f, null, f);
        }
        return f;
    }

    /**
     * ONNX Runtime refused to run on the request's values (indices out of range, shapes that do not
     * fit each other): the caller's mistake, in ONNX Runtime's words. Anything else is Kiln's.
     */
    static KilnError refusal(String model, OrtException e) {
        return switch (e.getCode()) {
            case ORT_INVALID_ARGUMENT, ORT_RUNTIME_EXCEPTION, ORT_FAIL -> KilnError.invalid(
                    "ONNX Runtime could not run '" + model + "' on this request: " + e.getMessage());
            default -> new KilnError(KilnError.Kind.INTERNAL, "ONNX Runtime failed to run '" + model + "': " + e.getMessage(), null, e);
        };
    }
}
