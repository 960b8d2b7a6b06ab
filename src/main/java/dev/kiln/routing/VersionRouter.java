package dev.kiln.routing;

import dev.kiln.catalog.ModelName;
import dev.kiln.catalog.Routing;
import dev.kiln.catalog.VersionNumber;
import dev.kiln.errors.ClientText;
import dev.kiln.errors.KilnError;
import dev.kiln.registry.ModelNotFoundException;
import dev.kiln.registry.ModelRegistry;
import dev.kiln.registry.ModelStatus;
import dev.kiln.registry.ModelVersions;
import dev.kiln.registry.ServedModels;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.TreeMap;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Decides which version of a model answers a call, from the model's {@code routing} (model.yaml) and
 * the versions its policy serves. A call that names a version (a number or an alias) goes there; an
 * unversioned call follows the model's default route: its weights when it has some, else the version
 * its {@code stable} alias names, else its highest served version that has not FAILED. Targets
 * that are not served or FAILED are left out and their weight goes to the others. Reads only: the
 * registry holds the state, model.yaml the routing.
 */
@ApplicationScoped
public class VersionRouter {

    private final ModelRegistry registry;
    private final ServedModels served;
    private final Map<String, AtomicLong[]> sequences = new ConcurrentHashMap<>();

    public VersionRouter(ModelRegistry registry, ServedModels served) {
        this.registry = registry;
        this.served = served;
    }

    /**
     * The route of one call. {@code version} is what the caller named (null or empty: none);
     * {@code requestId} gives the call's id (null: none), asked only when the route depends on it:
     * it fixes where an unversioned call lands, so a retry lands there too.
     */
    public Route route(String model, String version, java.util.function.Supplier<String> requestIds) {
        if (served.composite(model)) {
            return pipeline(model, version);
        }
        ModelVersions m = model(model);
        if (version != null && !version.isEmpty()) {
            return new Route(m.name(), resolve(m, version), null, false);
        }
        Map<Integer, Integer> weights = split(m);
        Integer shadowVersion = shadowOf(m);
        int share = m.manifest().routingOrNone().shadowShare();
        boolean asks = weights.size() > 1 || shadowVersion != null && share < 100;
        String requestId = asks && requestIds != null ? requestIds.get() : null;
        boolean keyed = requestId != null && !requestId.isEmpty();
        AtomicLong[] seq = weights.size() > 1 || shadowVersion != null ? sequences.computeIfAbsent(m.name(), n -> counters()) : null;
        int chosen = weights.size() == 1 ? weights.keySet().iterator().next()
                : TrafficShare.pick(weights, keyed ? TrafficShare.of(m.name(), requestId)
                : TrafficShare.sequence(seq[0].getAndIncrement() & 0xffffffffL, TrafficShare.GOLDEN));
        return new Route(m.name(), chosen, shadow(m, shadowVersion, chosen, keyed ? requestId : null, seq), true);
    }

    /** A pipeline has one version, 1, and no routing of its own (its models' calls are routed as any). */
    private static Route pipeline(String name, String version) {
        if (version != null && !version.isEmpty() && !"1".equals(version)) {
            throw KilnError.notFound("pipeline '" + name + "' has one version, 1; not '" + ClientText.printable(version, 40) + "'");
        }
        return new Route(name, 1, null, false);
    }

    /** The version a caller's version string names: a served version number, or an alias of one; 404 otherwise. */
    public int resolve(String model, String version) {
        return resolve(model(model), version);
    }

    /**
     * Where unversioned calls go, version to weight (each above 0), in version order: the order the
     * weights were written in must not move a request id to another version.
     */
    public Map<Integer, Integer> split(ModelVersions m) {
        Routing r = m.manifest().routingOrNone();
        Map<Integer, Integer> out = new TreeMap<>();
        if (r.weights() != null) {
            r.weights().forEach((target, w) -> {
                OptionalInt v = r.resolve(target);
                if (w != null && w > 0 && v.isPresent() && m.healthy(v.getAsInt())) {
                    out.merge(v.getAsInt(), w, Integer::sum);
                }
            });
        }
        if (out.isEmpty()) {
            out.put(m.stable(), 1);
        }
        return out;
    }

    /** The version most unversioned calls reach: what a view shows as the model's. */
    public ModelStatus primary(ModelVersions m) {
        int best = split(m).entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
        return m.version(best).orElse(m.highest());
    }

    /** The served version that gets copies of unversioned calls, or null. */
    public Integer shadowOf(ModelVersions m) {
        Routing r = m.manifest().routingOrNone();
        if (r.shadow() == null || r.shadowShare() == 0) {
            return null;
        }
        OptionalInt v = r.resolve(r.shadow());
        return v.isPresent() && m.routable(v.getAsInt()) ? v.getAsInt() : null;
    }

    /** The route of an unversioned call without an id. */
    public Route route(String model) {
        return route(model, null, null);
    }

    private static Integer shadow(ModelVersions m, Integer shadow, int chosen, String requestId, AtomicLong[] seq) {
        if (shadow == null || shadow == chosen) {
            return null;
        }
        int share = m.manifest().routingOrNone().shadowShare();
        if (share >= 100) {
            return shadow;
        }
        double point = requestId != null ? TrafficShare.of(m.name() + "#shadow", requestId)
                : TrafficShare.sequence(seq[1].getAndIncrement() & 0xffffffffL, TrafficShare.SILVER);
        return point * 100 < share ? shadow : null;
    }

    private static int resolve(ModelVersions m, String version) {
        OptionalInt number = VersionNumber.parse(version);
        Routing r = m.manifest().routingOrNone();
        if (number.isEmpty() && !r.aliasesOrEmpty().containsKey(version)) {
            throw KilnError.notFound("model '" + m.name() + "' has no version or alias '" + ClientText.printable(version, 40)
                    + "': its versions are " + m.onDisk() + (r.aliasesOrEmpty().isEmpty() ? "" : ", its aliases " + r.aliasesOrEmpty()));
        }
        int v = number.isPresent() ? number.getAsInt() : r.aliasesOrEmpty().get(version);
        if (m.version(v).isEmpty()) {
            throw KilnError.notFound("model '" + m.name() + "' does not serve version " + v
                    + (number.isEmpty() ? " (alias '" + version + "')" : "") + ": it serves " + served(m)
                    + (m.onDisk().contains(v) ? " (version_policy " + m.manifest().policy().text() + ")" : ""));
        }
        return v;
    }

    private static java.util.List<Integer> served(ModelVersions m) {
        return m.served().stream().map(ModelStatus::version).toList();
    }

    private ModelVersions model(String name) {
        return registry.model(ModelName.require(name)).orElseThrow(() -> new ModelNotFoundException(name));
    }

    private static AtomicLong[] counters() {
        return new AtomicLong[]{new AtomicLong(), new AtomicLong()};
    }
}
