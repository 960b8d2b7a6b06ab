package dev.kiln.registry;

import dev.kiln.errors.KilnError;

public class ModelNotFoundException extends KilnError {
    public ModelNotFoundException(String name) {
        super(Kind.NOT_FOUND, "unknown model '" + name + "'");
    }
}
