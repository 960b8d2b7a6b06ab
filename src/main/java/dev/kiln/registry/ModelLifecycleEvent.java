package dev.kiln.registry;

/**
 * Fired by the registry after each lifecycle change of a model's version, so telemetry can count without asking.
 * {@code onDemand} marks a load that a request had to wait for: a cold start. An UNLOADED event's
 * {@code reason} says why: {@code budget}, {@code keep_alive}, {@code admin} or {@code shutdown}.
 */
public record ModelLifecycleEvent(String model, int version, String category, Kind kind, double seconds, boolean onDemand,
                                  String reason) {

    /** An event of a model of one version (a pipeline): its version 1. */
    public ModelLifecycleEvent(String model, String category, Kind kind, double seconds, boolean onDemand, String reason) {
        this(model, 1, category, kind, seconds, onDemand, reason);
    }

    public enum Kind { DISCOVERED, LOADED, LOAD_FAILED, UNLOADED, REMOVED }

    public static final String BUDGET = "budget";
    public static final String KEEP_ALIVE = "keep_alive";
    public static final String ADMIN = "admin";
    public static final String SHUTDOWN = "shutdown";
}
