package dev.kiln.runtime;

import dev.kiln.web.KilnException;

/** A tensor in a request that does not fit the model: wrong type, shape, or data. Always a 400. */
public class InvalidTensorException extends KilnException {
    public InvalidTensorException(String message) {
        super(400, message);
    }
}
