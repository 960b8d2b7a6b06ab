package dev.kiln.registry;

import dev.kiln.errors.KilnError;

/** The request clashes with the model's state (disabled, requests still in flight). */
public class ModelConflictException extends KilnError {
    public ModelConflictException(String message) {
        super(Kind.CONFLICT, message);
    }
}
