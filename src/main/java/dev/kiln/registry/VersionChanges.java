package dev.kiln.registry;

import dev.kiln.catalog.ModelDirectory;
import dev.kiln.catalog.ModelEntry;
import dev.kiln.catalog.ModelManifest;
import dev.kiln.catalog.Routing;
import dev.kiln.errors.KilnError;

import java.util.ArrayList;
import java.util.List;

/** What an install or uninstall of one version may do to a model, decided from its directory as read under its lock. */
final class VersionChanges {

    private VersionChanges() {
    }

    /** One version may go unless it is the model's last, or its routing still sends calls to it. */
    static void checkUninstall(ModelDirectory dir, int version) {
        String name = dir.name();
        if (dir.version(version).isEmpty()) {
            throw KilnError.notFound("model '" + name + "' has no version " + version + ": its versions are " + dir.numbers());
        }
        if (dir.versions().size() == 1) {
            throw KilnError.conflict("version " + version + " is the only version of '" + name + "': uninstall the model instead");
        }
        List<String> users = users(dir.manifest().routingOrNone(), version);
        if (!users.isEmpty()) {
            throw KilnError.conflict("version " + version + " of '" + name + "' is still named by its routing (" + String.join(", ", users)
                    + "): move those first (PUT /api/v1/setup/models/" + name + "/routing)");
        }
    }

    /** What in the routing reaches this version: aliases, weighted targets, the shadow. */
    static List<String> users(Routing routing, int version) {
        List<String> out = new ArrayList<>();
        routing.aliasesOf(version).forEach(a -> out.add("alias " + a));
        if (routing.weights() != null) {
            routing.weights().forEach((target, w) -> {
                if (w != null && w > 0 && routing.resolve(target).orElse(-1) == version && !routing.aliasesOrEmpty().containsKey(target)) {
                    out.add("weight of " + target);
                }
            });
        }
        if (routing.shadow() != null && routing.resolve(routing.shadow()).orElse(-1) == version
                && !routing.aliasesOrEmpty().containsKey(routing.shadow())) {
            out.add("shadow");
        }
        return out;
    }

    /** A whole-model replace puts one version-1 directory in place of the model's: only for a model of that one version. */
    static void checkWholeReplace(ModelDirectory dir) {
        if (!dir.numbers().equals(List.of(1))) {
            throw KilnError.conflict("model '" + dir.name() + "' has versions " + dir.numbers()
                    + ": install with \"version\" to add or replace one, so the others stay");
        }
    }

    static void checkVersionReplace(ModelDirectory dir, int version, boolean replace) {
        if (!replace) {
            throw KilnError.conflict("model '" + dir.name() + "' already has version " + version
                    + "; send \"replace\": true to install over it");
        }
        ModelEntry existing = dir.version(version).orElseThrow();
        if (existing.directory().equals(dir.root()) && dir.versions().size() > 1) {
            throw KilnError.conflict("version 1 of '" + dir.name() + "' is the model.onnx at the top of its directory, which its"
                    + " other versions' directory holds too: uninstall version 1 and install it again with \"version\": 1");
        }
    }

    /**
     * Before a new version is added to a model without routing, its unversioned calls are pinned to
     * the version they reach now (alias {@code stable}), so the newcomer takes no traffic until an
     * operator routes some to it. A model with routing keeps its own.
     */
    static ModelManifest pinStable(ModelDirectory dir) {
        Routing routing = dir.manifest().routingOrNone();
        List<Integer> served = dir.manifest().policy().select(dir.numbers());
        if (routing.aliasesOrEmpty().containsKey(Routing.STABLE) || routing.weights() != null || served.isEmpty()) {
            return dir.manifest();
        }
        return dir.manifest().withRouting(routing.withAlias(Routing.STABLE, served.get(served.size() - 1)));
    }
}
