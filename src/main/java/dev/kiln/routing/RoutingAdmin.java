package dev.kiln.routing;

import dev.kiln.catalog.Routing;
import dev.kiln.catalog.VersionPolicy;
import dev.kiln.registry.ModelRegistry;
import dev.kiln.registry.ModelVersions;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The operator's switches over a model's versions, each one change of its model.yaml made under the
 * name's locks (atomic, followed at once here and by the other replicas within their poll):
 * routing, one alias, the version policy, promote (move an alias) and roll back (one call).
 */
@ApplicationScoped
public class RoutingAdmin {

    private final ModelRegistry registry;

    public RoutingAdmin(ModelRegistry registry) {
        this.registry = registry;
    }

    /** Replaces the routing (aliases, weights, shadow); null clears it. */
    public ModelVersions routing(String model, Routing routing) {
        return registry.changeManifest(model, dir -> RoutingChanges.routing(dir, routing));
    }

    /** Which versions are served; the ones that leave drain their requests first. */
    public ModelVersions policy(String model, VersionPolicy policy) {
        return registry.changeManifest(model, dir -> RoutingChanges.policy(dir, policy));
    }

    /** Points {@code alias} at {@code version}; null removes it. */
    public ModelVersions alias(String model, String alias, Integer version) {
        return registry.changeManifest(model, dir -> RoutingChanges.alias(dir, alias, version));
    }

    /** Moves {@code alias} (stable when null) to the version {@code target} names (canary when null). */
    public ModelVersions promote(String model, String target, String alias) {
        return registry.changeManifest(model, dir -> RoutingChanges.promote(dir, target, alias));
    }

    /** Unversioned calls all back on stable, stable back where the last promote moved it from. */
    public ModelVersions rollback(String model) {
        return registry.changeManifest(model, RoutingChanges::rollback);
    }

    /** Removes one version (not the last one, nor one the routing names). */
    public ModelVersions uninstall(String model, int version) {
        return registry.uninstall(model, version);
    }
}
