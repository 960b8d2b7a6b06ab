package dev.kiln.registry;

import dev.kiln.catalog.ModelDirectory;
import dev.kiln.catalog.ModelManifest;

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
