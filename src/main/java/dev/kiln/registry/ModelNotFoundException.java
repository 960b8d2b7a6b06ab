package dev.kiln.registry;

import dev.kiln.web.KilnException;

public class ModelNotFoundException extends KilnException {
    public ModelNotFoundException(String name) {
        super(404, "unknown model '" + name + "'");
    }
}
