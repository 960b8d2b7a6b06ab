package dev.kiln.web;

/**
 * An error that is an answer: it carries the HTTP status a client should see and a message that
 * says what was wrong. {@link ErrorMapper} turns it into {@code {"error": "..."}}.
 */
public class KilnException extends RuntimeException {

    private final int status;
    private final Integer retryAfterSeconds;

    public KilnException(int status, String message) {
        this(status, message, null, null);
    }

    public KilnException(int status, String message, Integer retryAfterSeconds, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public int status() {
        return status;
    }

    public Integer retryAfterSeconds() {
        return retryAfterSeconds;
    }

    public static KilnException badRequest(String message) {
        return new KilnException(400, message);
    }
}
