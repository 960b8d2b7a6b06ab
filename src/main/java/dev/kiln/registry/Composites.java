package dev.kiln.registry;

import java.util.List;
import java.util.Optional;

/**
 * Served names that are not models of their own but run several of the registry's models (pipelines).
 * Another package implements this; the registry and the read views only ask it, so the registry
 * never depends on what a composite is. A composite's snapshot has a model's shape, with
 * {@code inference_engine} saying what it is, so every view can list it beside the models.
 */
public interface Composites {

    /** A snapshot of every composite, in name order. */
    List<ModelStatus> list();

    Optional<ModelStatus> find(String name);

    /** The models a composite runs (empty for an unknown name or one whose definition names none it could read). */
    List<String> models(String name);

    /** The enabled composites that need this model: its uninstall and disable are refused while any does. */
    List<String> needing(String model);

    /** Moves on whenever the composites' own definitions change (their models' states move the registry's revision). */
    long revision();

    /** Loads every model the composite runs (waiting for each) and answers its status after. */
    ModelStatus load(String name);

    /** Unloads every model the composite runs, after their requests drain, and answers its status after. */
    ModelStatus unload(String name);
}
