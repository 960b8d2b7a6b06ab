package dev.kiln.registry;

import dev.kiln.web.KilnException;

/** The request clashes with the model's state (disabled, requests still in flight): 409. */
public class ModelConflictException extends KilnException {
    public ModelConflictException(String message) {
        super(409, message);
    }
}
