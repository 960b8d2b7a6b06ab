package dev.kiln.catalog;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A model's directory as read from disk: its manifest and every version found in it (ascending),
 * whether or not its version policy serves it.
 */
public record ModelDirectory(String name, Path root, ModelManifest manifest, List<ModelEntry> versions) {

    public List<Integer> numbers() {
        return versions.stream().map(ModelEntry::version).toList();
    }

    public Optional<ModelEntry> version(int number) {
        return versions.stream().filter(e -> e.version() == number).findFirst();
    }

    /**
     * The versions the policy serves. A policy that matches none still leaves the model one entry
     * (its highest version, FAILED with the reason), so it stays visible and says what is wrong.
     */
    public List<ModelEntry> served() {
        List<Integer> chosen = manifest.policy().select(numbers());
        if (!chosen.isEmpty()) {
            return versions.stream().filter(e -> chosen.contains(e.version())).toList();
        }
        ModelEntry highest = versions.get(versions.size() - 1);
        return List.of(new ModelEntry(highest.name(), highest.version(), highest.root(), highest.directory(), highest.manifest(),
                highest.sizeBytes(), highest.modifiedMillis(), "version_policy " + manifest.policy().text()
                + " matches no version on disk (" + numbers() + ")"));
    }

    /** Whether the policy serves this version now. */
    public boolean serves(int number) {
        return manifest.policy().select(numbers()).contains(number);
    }
}
