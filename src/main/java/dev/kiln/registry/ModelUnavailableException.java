package dev.kiln.registry;

import dev.kiln.errors.KilnError;

/** The model exists but cannot serve now (failed, unloading, queue full); maybe retry later. */
public class ModelUnavailableException extends KilnError {
    public ModelUnavailableException(String message, Integer retryAfterSeconds) {
        super(Kind.UNAVAILABLE, message, retryAfterSeconds, null);
    }
}
