package dev.kiln.registry;

/**
 * Fired by the registry after each lifecycle change, so telemetry can count without asking.
 * {@code onDemand} marks a load that a request had to wait for: a cold start.
 */
public record ModelLifecycleEvent(String model, String category, Kind kind, double seconds, boolean onDemand, String reason) {

    public enum Kind { DISCOVERED, LOADED, LOAD_FAILED, UNLOADED, REMOVED }
}
