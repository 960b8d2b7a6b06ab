package dev.kiln.routing;

/**
 * Where one call goes: the version that answers it, and the version that also gets a copy of it
 * (its shadow, null when none). {@code routed} is false when the caller named the version (a
 * number or an alias): such a call is never split nor shadowed.
 */
public record Route(String model, int version, Integer shadow, boolean routed) {
}
