package dev.kiln.files;

import java.nio.file.Path;

/**
 * Where the repository's lock files live: {@code <repository>/.kiln-locks/}, one per model name,
 * one for the run-time settings file and one per staging directory of an install under way.
 * Model names never start with a dot, so the other two cannot collide with a name's file.
 */
public final class RepositoryLocks {

    public static final String DIRECTORY = ".kiln-locks";

    private RepositoryLocks() {
    }

    /** Held by whoever changes the model's files or manifest, in any replica; {@code name} is a valid model name. */
    public static Path ofName(Path root, String name) {
        if (name.startsWith(".") || name.contains("/")) {
            throw new IllegalArgumentException("not a model name: " + name);
        }
        return root.resolve(DIRECTORY).resolve(name + ".lock");
    }

    /** Held by whoever writes the run-time settings file. */
    public static Path ofSettings(Path root) {
        return root.resolve(DIRECTORY).resolve(".kiln-settings.yaml.lock");
    }

    /** Held by the install that stages into that directory for as long as it lives. */
    public static Path ofStaging(Path root, String stagingDirectory) {
        return root.resolve(DIRECTORY).resolve(stagingDirectory + ".lock");
    }
}
