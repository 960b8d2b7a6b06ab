package dev.kiln.runtime;

import dev.kiln.errors.KilnError;

/** A tensor in a request that does not fit the model: wrong type, shape, or data. Always the caller's mistake. */
public class InvalidTensorException extends KilnError {
    public InvalidTensorException(String message) {
        super(Kind.INVALID, message);
    }
}
