package dev.kiln.registry;

import dev.kiln.web.KilnException;

/** The model exists but cannot serve now (failed, unloading, queue full): 503, maybe retry later. */
public class ModelUnavailableException extends KilnException {
    public ModelUnavailableException(String message, Integer retryAfterSeconds) {
        super(503, message, retryAfterSeconds, null);
    }
}
