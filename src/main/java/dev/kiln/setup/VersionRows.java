package dev.kiln.setup;

import dev.kiln.catalog.Routing;
import dev.kiln.registry.ModelStatus;
import dev.kiln.registry.ModelVersions;
import dev.kiln.routing.VersionRouter;
import dev.kiln.setup.SetupRecords.VersionRow;
import dev.kiln.setup.SetupRecords.VersionsView;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/** A model's versions as the views show them: each version's lifecycle, aliases and share of traffic. */
@ApplicationScoped
public class VersionRows {

    private final VersionRouter router;

    public VersionRows(VersionRouter router) {
        this.router = router;
    }

    /** The version a model's row stands for: the one most of its unversioned calls reach. */
    public ModelStatus primary(ModelVersions m) {
        return router.primary(m);
    }

    public List<VersionRow> rows(ModelVersions m) {
        Routing routing = m.manifest().routingOrNone();
        Map<Integer, Integer> split = router.split(m);
        long total = split.values().stream().mapToLong(Integer::longValue).sum();
        Integer shadow = router.shadowOf(m);
        List<VersionRow> rows = new ArrayList<>();
        for (ModelStatus s : m.served()) {
            int v = s.version();
            double share = Math.round(split.getOrDefault(v, 0) * 1000.0 / total) / 10.0;
            rows.add(new VersionRow(v, true, s.state().name(), s.loaded(), s.reason(), routing.aliasesOf(v), share,
                    shadow != null && shadow == v, s.entry().sizeGb(), s.memoryBytes(), s.memoryMeasured(), s.inFlight(),
                    s.loadCount(), s.loaded() ? s.executionProvider() : null));
        }
        for (int v : m.notServed()) {
            rows.add(new VersionRow(v, false, "NOT_SERVED", false, "version_policy " + m.manifest().policy().text(),
                    routing.aliasesOf(v), 0, false, null, 0, false, 0, 0, null));
        }
        rows.sort(Comparator.comparingInt(VersionRow::version));
        return rows;
    }

    public VersionsView view(ModelVersions m) {
        Routing routing = m.manifest().routingOrNone();
        return new VersionsView(m.name(), m.manifest().policy().text(), primary(m).version(), router.shadowOf(m),
                routing.aliasesOrEmpty(), m.manifest().routing(), rows(m), warnings(m, routing));
    }

    /** Where the routing names versions the policy does not serve: calls meant for them go elsewhere. */
    private static List<String> warnings(ModelVersions m, Routing routing) {
        List<String> out = new ArrayList<>();
        routing.aliasesOrEmpty().forEach((alias, v) -> {
            if (m.version(v).isEmpty()) {
                out.add("alias '" + alias + "' names version " + v + ", which is not served (version_policy "
                        + m.manifest().policy().text() + "): calls to it are refused, and unversioned calls go elsewhere");
            }
        });
        if (routing.weights() != null) {
            routing.weights().forEach((target, w) -> {
                int v = routing.resolve(target).orElse(-1);
                if (w != null && w > 0 && m.version(v).isEmpty() && !routing.aliasesOrEmpty().containsKey(target)) {
                    out.add("routing.weights names version " + v + ", which is not served: its share goes to the others");
                }
            });
        }
        return out;
    }
}
