package dev.kiln.registry;

/** Lifecycle of a model; every state but READY comes with a reason when it is not the obvious one. */
public enum ModelState {
    AVAILABLE, LOADING, READY, UNLOADING, FAILED, DISABLED
}
