package dev.kiln.errors;

/**
 * Whether a failure is the heap running out, wherever in its causes: a heap that ran out is a request
 * to retry (507), not a bug, and it reaches the edge wrapped by whatever layer it crossed (Vert.x,
 * CompletableFuture, RESTEasy), one level deep or more.
 */
public final class OutOfMemory {

    private OutOfMemory() {
    }

    public static boolean in(Throwable failure) {
        return find(failure) != null;
    }

    /** The OutOfMemoryError among the failure's causes (itself included), or null. */
    public static OutOfMemoryError find(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof OutOfMemoryError oom) {
                return oom;
            }
        }
        return null;
    }
}
