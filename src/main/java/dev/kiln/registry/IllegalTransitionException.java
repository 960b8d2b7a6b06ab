package dev.kiln.registry;

/** A move the transition table does not allow: a bug in Kiln, never an answer to a caller. */
public class IllegalTransitionException extends IllegalStateException {
    IllegalTransitionException(String model, ModelState from, ModelState to) {
        super("model '" + model + "': illegal transition " + from + " -> " + to);
    }
}
