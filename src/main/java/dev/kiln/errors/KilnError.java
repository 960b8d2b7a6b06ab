package dev.kiln.errors;

/**
 * A failure that is an answer: a message a caller can act on, and the kind of failure it is.
 * Nothing here knows a transport; the HTTP edge and the gRPC service each map the kind to their
 * own status codes, in one place each.
 */
public class KilnError extends RuntimeException {

    /** What kind of failure, in the caller's terms. */
    public enum Kind {
        /** The request itself is wrong: fix it before sending it again. */
        INVALID,
        NOT_FOUND,
        /** The request clashes with the current state (disabled model, install running, requests in flight). */
        CONFLICT,
        /** Cannot serve now (queue full, model draining or failed): retry later. */
        UNAVAILABLE,
        /** The model does not fit the memory budget even after evicting what may be evicted. */
        INSUFFICIENT_MEMORY,
        /** The answer would be larger than Kiln writes (ai.models.inference.max-answer-bytes): ask for less. */
        TOO_LARGE,
        /** The request is well formed but names something that cannot be used (a model ONNX Runtime rejects). */
        UNPROCESSABLE,
        /** Something this machine lacks (a GPU driver, a library). */
        DEPENDENCY_MISSING,
        /** Kiln's own failure. */
        INTERNAL
    }

    private final Kind kind;
    private final Integer retryAfterSeconds;

    public KilnError(Kind kind, String message) {
        this(kind, message, null, null);
    }

    public KilnError(Kind kind, String message, Integer retryAfterSeconds, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public Kind kind() {
        return kind;
    }

    /** Seconds after which a retry may succeed; null when retrying the same request cannot help. */
    public Integer retryAfterSeconds() {
        return retryAfterSeconds;
    }

    /** True when the caller is at fault (the request), false when Kiln or the moment is. */
    public boolean callersFault() {
        return kind == Kind.INVALID || kind == Kind.NOT_FOUND || kind == Kind.UNPROCESSABLE || kind == Kind.TOO_LARGE;
    }

    public static KilnError invalid(String message) {
        return new KilnError(Kind.INVALID, message);
    }

    public static KilnError notFound(String message) {
        return new KilnError(Kind.NOT_FOUND, message);
    }

    public static KilnError conflict(String message) {
        return new KilnError(Kind.CONFLICT, message);
    }

    public static KilnError unavailable(String message, Integer retryAfterSeconds) {
        return new KilnError(Kind.UNAVAILABLE, message, retryAfterSeconds, null);
    }

    public static KilnError unprocessable(String message) {
        return new KilnError(Kind.UNPROCESSABLE, message);
    }

    public static KilnError dependencyMissing(String message) {
        return new KilnError(Kind.DEPENDENCY_MISSING, message);
    }

    public static KilnError internal(String message) {
        return new KilnError(Kind.INTERNAL, message);
    }
}
