package dev.kiln.routing;

import dev.kiln.catalog.ModelDirectory;
import dev.kiln.catalog.ModelManifest;
import dev.kiln.catalog.Routing;
import dev.kiln.catalog.VersionPolicy;
import dev.kiln.errors.KilnError;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;

/**
 * The operator's routing changes, each a new manifest made from the model's directory as it is
 * under its lock, or a refusal: aliases must name versions on disk; weights and the shadow must
 * reach versions the policy serves. Promote moves an alias and remembers where from; roll back
 * puts the aliases a promote moved back and sends every unversioned call to {@code stable}.
 */
final class RoutingChanges {

    private RoutingChanges() {
    }

    static ModelManifest routing(ModelDirectory dir, Routing requested) {
        if (requested == null) {
            throw KilnError.invalid("send the routing as JSON ({\"aliases\": {...}, \"weights\": {...}, \"shadow\": ...});"
                    + " {} clears it");
        }
        Routing next = requested.withRollback(null);
        check(dir, next);
        return dir.manifest().withRouting(next);
    }

    static ModelManifest policy(ModelDirectory dir, VersionPolicy policy) {
        if (policy == null) {
            throw KilnError.invalid("send a version policy: \"all\", {\"latest\": N} or {\"specific\": [versions]}");
        }
        if (policy.problem() != null) {
            throw KilnError.invalid("version_policy " + policy.problem());
        }
        if (policy.select(dir.numbers()).isEmpty()) {
            throw KilnError.conflict("version_policy " + policy.text() + " would serve none of the versions of '" + dir.name()
                    + "' " + dir.numbers());
        }
        Set<Integer> lost = new TreeSet<>(dir.manifest().routingOrNone().reached());
        lost.removeAll(policy.select(dir.numbers()));
        if (!lost.isEmpty()) {
            throw KilnError.conflict("version_policy " + policy.text() + " would stop serving version(s) " + lost + " of '" + dir.name()
                    + "', where its routing sends unversioned calls (" + describe(dir.manifest().routingOrNone())
                    + "): route them elsewhere first");
        }
        return dir.manifest().withVersionPolicy(policy);
    }

    private static String describe(Routing r) {
        List<String> parts = new java.util.ArrayList<>();
        if (!r.aliasesOrEmpty().isEmpty()) {
            parts.add("aliases " + r.aliasesOrEmpty());
        }
        if (r.weights() != null) {
            parts.add("weights " + r.weights());
        }
        if (r.shadow() != null) {
            parts.add("shadow " + r.shadow());
        }
        return String.join(", ", parts);
    }

    static ModelManifest alias(ModelDirectory dir, String alias, Integer version) {
        if (!Routing.isAlias(alias)) {
            throw KilnError.invalid("'" + alias + "' is not an alias name: a lowercase letter, then letters, digits, - or _ (at most 32)");
        }
        Routing current = dir.manifest().routingOrNone();
        if (version == null) {
            Routing next = current.withAlias(alias, null);
            if (!current.aliasesOrEmpty().containsKey(alias)) {
                throw KilnError.notFound("model '" + dir.name() + "' has no alias '" + alias + "'");
            }
            check(dir, next);
            return dir.manifest().withRouting(next);
        }
        Routing next = current.withAlias(alias, version);
        check(dir, next);
        return dir.manifest().withRouting(next);
    }

    /** Moves {@code alias} (stable by default) to the version {@code target} names now (canary by default). */
    static ModelManifest promote(ModelDirectory dir, String target, String alias) {
        Routing current = dir.manifest().routingOrNone();
        String moved = alias == null ? Routing.STABLE : alias;
        String to = target == null ? Routing.CANARY : target;
        OptionalInt version = current.resolve(to);
        if (version.isEmpty()) {
            throw KilnError.conflict("model '" + dir.name() + "' has no version or alias '" + to + "' to promote"
                    + (current.aliasesOrEmpty().isEmpty() ? "" : ": its aliases are " + current.aliasesOrEmpty()));
        }
        Integer from = current.aliasesOrEmpty().get(moved);
        Map<String, Integer> rollback = new LinkedHashMap<>();
        if (from != null && from != version.getAsInt()) {
            rollback.put(moved, from);
        }
        Routing next = current.withAlias(moved, version.getAsInt()).withRollback(rollback.isEmpty() ? current.rollback() : rollback);
        check(dir, next);
        return dir.manifest().withRouting(next);
    }

    /**
     * Every unversioned call back on {@code stable}, and {@code stable} back where the last promote
     * moved it from: one call undoes a canary (its weight goes to 0) or a promote.
     */
    static ModelManifest rollback(ModelDirectory dir) {
        Routing current = dir.manifest().routingOrNone();
        Routing next = current;
        if (current.rollback() != null) {
            for (Map.Entry<String, Integer> e : current.rollback().entrySet()) {
                next = next.withAlias(e.getKey(), e.getValue());
            }
            next = next.withRollback(null);
        }
        if (!next.aliasesOrEmpty().containsKey(Routing.STABLE)) {
            throw KilnError.conflict("model '" + dir.name() + "' has no stable alias to roll back to: set one"
                    + " (PUT /api/v1/setup/models/" + dir.name() + "/aliases/stable)");
        }
        next = next.withWeights(Map.of(Routing.STABLE, 100));
        check(dir, next);
        return dir.manifest().withRouting(next);
    }

    /** The routing's own form, then its targets: aliases on disk, weights and shadow on served versions. */
    private static void check(ModelDirectory dir, Routing r) {
        List<String> problems = r.problems();
        if (!problems.isEmpty()) {
            throw KilnError.invalid(String.join("; ", problems));
        }
        r.aliasesOrEmpty().forEach((alias, v) -> {
            if (!dir.numbers().contains(v)) {
                throw KilnError.conflict("alias '" + alias + "' names version " + v + ", which model '" + dir.name()
                        + "' does not have: its versions are " + dir.numbers());
            }
        });
        if (r.weights() != null) {
            r.weights().forEach((target, w) -> {
                if (w != null && w > 0) {
                    served(dir, target, r.resolve(target).getAsInt(), "weights");
                }
            });
        }
        if (r.shadow() != null) {
            int shadow = r.resolve(r.shadow()).getAsInt();
            served(dir, r.shadow(), shadow, "shadow");
            if (primaries(dir, r).equals(Set.of(shadow))) {
                throw KilnError.conflict("routing.shadow names version " + shadow + ", which already answers every unversioned"
                        + " call of '" + dir.name() + "': a copy would only be compared with itself; shadow another version");
            }
        } else if (r.shadowPercent() != null) {
            throw KilnError.invalid("routing.shadow_percent needs a routing.shadow (the version that gets the copies)");
        }
    }

    /** The versions that answer unversioned calls: the weighted ones, else stable's, else the highest served. */
    private static Set<Integer> primaries(ModelDirectory dir, Routing r) {
        Set<Integer> out = r.weighted();
        if (out.isEmpty()) {
            Integer stable = r.aliasesOrEmpty().get(Routing.STABLE);
            List<Integer> served = dir.manifest().policy().select(dir.numbers());
            if (stable != null) {
                out.add(stable);
            } else if (!served.isEmpty()) {
                out.add(served.get(served.size() - 1));
            }
        }
        return out;
    }

    private static void served(ModelDirectory dir, String target, int version, String field) {
        if (!dir.serves(version)) {
            throw KilnError.conflict("routing." + field + " names '" + target + "' (version " + version + "), which model '"
                    + dir.name() + "' does not serve: its versions are " + dir.numbers() + ", version_policy "
                    + dir.manifest().policy().text());
        }
    }
}
