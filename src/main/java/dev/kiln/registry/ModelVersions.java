package dev.kiln.registry;

import dev.kiln.catalog.ModelDirectory;
import dev.kiln.catalog.ModelManifest;
import dev.kiln.catalog.Routing;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One model with its versions, for the views that show a model once: its manifest (routing and
 * version policy included), the numbers of every version on its disk, and a snapshot of each
 * version its policy serves (ascending; never empty).
 */
public record ModelVersions(String name, ModelManifest manifest, List<Integer> onDisk, List<ModelStatus> served) {

    /** The highest served version: where calls go when nothing routes them. */
    public ModelStatus highest() {
        return served.get(served.size() - 1);
    }

    public java.util.Optional<ModelStatus> version(int number) {
        return served.stream().filter(s -> s.version() == number).findFirst();
    }

    /** Whether unversioned calls may go to this version: served, and not on its way out because the policy left it out. */
    public boolean routable(int number) {
        return version(number).isPresent() && manifest.policy().select(onDisk).contains(number);
    }

    /**
     * Whether unversioned calls may be split onto this version: routable, and not FAILED (a version
     * whose file was half-copied or that ONNX Runtime refused takes no share; named, it still answers
     * with its reason).
     */
    public boolean healthy(int number) {
        return routable(number) && version(number).map(s -> s.state() != ModelState.FAILED).orElse(false);
    }

    /**
     * Where unversioned calls go when no weights split them, and where a pipeline's calls always go:
     * the version the {@code stable} alias names when it is routable, else the highest healthy
     * version, else the highest routable one, else the highest served.
     */
    public int stable() {
        Integer pinned = manifest.routingOrNone().aliasesOrEmpty().get(Routing.STABLE);
        if (pinned != null && routable(pinned)) {
            return pinned;
        }
        for (int i = served.size() - 1; i >= 0; i--) {
            if (healthy(served.get(i).version())) {
                return served.get(i).version();
            }
        }
        for (int i = served.size() - 1; i >= 0; i--) {
            if (routable(served.get(i).version())) {
                return served.get(i).version();
            }
        }
        return highest().version();
    }

    /**
     * The versions unversioned calls reach now (the stable one at least) that the policy would stop
     * serving once {@code added} is on disk too: a newcomer under {@code latest: N} must not push
     * out the version the traffic is on.
     */
    public java.util.Set<Integer> pushedOutBy(int added) {
        java.util.Set<Integer> reached = new java.util.TreeSet<>(manifest.routingOrNone().reached());
        reached.add(stable());
        List<Integer> after = new ArrayList<>(onDisk);
        if (!after.contains(added)) {
            after.add(added);
        }
        reached.removeAll(manifest.policy().select(after));
        return reached;
    }

    /** Versions on disk that the policy does not serve. */
    public List<Integer> notServed() {
        return onDisk.stream().filter(n -> served.stream().noneMatch(s -> s.version() == n)).toList();
    }

    /** Groups statuses (by name, then version) into models, with what their directories last said. */
    static List<ModelVersions> group(List<ModelStatus> statuses, Map<String, ModelDirectory> directories) {
        Map<String, List<ModelStatus>> byName = new LinkedHashMap<>();
        for (ModelStatus s : statuses) {
            byName.computeIfAbsent(s.name(), n -> new ArrayList<>()).add(s);
        }
        List<ModelVersions> out = new ArrayList<>(byName.size());
        byName.forEach((name, served) -> {
            ModelDirectory dir = directories.get(name);
            ModelManifest manifest = dir != null ? dir.manifest() : served.get(served.size() - 1).entry().manifest();
            List<Integer> onDisk = dir != null ? dir.numbers() : served.stream().map(ModelStatus::version).toList();
            out.add(new ModelVersions(name, manifest, onDisk, List.copyOf(served)));
        });
        return out;
    }
}
