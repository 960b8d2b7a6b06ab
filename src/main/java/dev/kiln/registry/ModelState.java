package dev.kiln.registry;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * Lifecycle of a model, and the only moves between states ({@link #canMoveTo}). Every state but
 * READY carries a reason when it is not the obvious one.
 * <pre>
 *   AVAILABLE ──load──▶ LOADING ──ok──▶ READY ──unload / evict / disable / uninstall──▶ UNLOADING
 *       ▲                  │ failed ▶ FAILED          ▲  │ replace: READY ▶ READY (new session)   │
 *       │                  │ no room ▶ AVAILABLE       │  └──────── drain timed out ◀────────────┤
 *       └──────────────────┴───────────────────────────┴─── drained ▶ AVAILABLE | DISABLED | REMOVED
 * </pre>
 * A replace of an unloaded model holds it in LOADING while the files move, and ends in READY
 * (with the session it opened), AVAILABLE, FAILED or DISABLED (as the new manifest says).
 */
public enum ModelState {
    /** On disk, enabled, not loaded. */
    AVAILABLE,
    /** A load (or a replace of an unloaded model) is under way; requests wait for it. */
    LOADING,
    /** A session is open and takes requests. */
    READY,
    /** In-flight requests are finishing; no new ones start. */
    UNLOADING,
    /** The last load failed; an explicit load tries again. */
    FAILED,
    /** Switched off by an operator or its manifest; never loaded. */
    DISABLED,
    /** Uninstalled, or its directory is gone: the slot has left the registry. */
    REMOVED;

    private static final Map<ModelState, Set<ModelState>> MOVES = new EnumMap<>(ModelState.class);

    static {
        MOVES.put(AVAILABLE, EnumSet.of(LOADING, DISABLED, FAILED, REMOVED));
        MOVES.put(LOADING, EnumSet.of(READY, FAILED, AVAILABLE, DISABLED));
        MOVES.put(READY, EnumSet.of(UNLOADING, READY));
        MOVES.put(UNLOADING, EnumSet.of(AVAILABLE, DISABLED, REMOVED, READY));
        MOVES.put(FAILED, EnumSet.of(LOADING, AVAILABLE, DISABLED, FAILED, REMOVED));
        MOVES.put(DISABLED, EnumSet.of(AVAILABLE, FAILED, REMOVED));
        MOVES.put(REMOVED, EnumSet.noneOf(ModelState.class));
    }

    public boolean canMoveTo(ModelState next) {
        return MOVES.get(this).contains(next);
    }

    /** States in which nothing is under way: a replace, rescan or uninstall acts only from these. */
    public boolean isStable() {
        return this != LOADING && this != UNLOADING;
    }
}
