package dev.kiln.catalog;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One version of a model as found on disk: {@code directory} holds its {@code model.onnx} (the
 * version's own {@code <n>/} directory, or the model's {@code root} for a model.onnx at the top,
 * which is version 1). {@code manifest} is the model's, shared by its versions. {@code problem} is
 * set when the version is not usable (unreadable manifest, name mismatch); such a version is
 * reported FAILED with that reason. {@code modifiedMillis} is the newest time among the version's
 * files (the manifest aside): a rescan uses it to tell whether they changed.
 */
public record ModelEntry(String name, int version, Path root, Path directory, ModelManifest manifest, long sizeBytes,
                         long modifiedMillis, String problem) {

    public static final String MODEL_FILE = "model.onnx";
    public static final String MANIFEST_FILE = "model.yaml";

    /** A model of one version whose files are all in {@code directory} (version 1, as every model had before versions). */
    public ModelEntry(String name, Path directory, ModelManifest manifest, long sizeBytes, long modifiedMillis, String problem) {
        this(name, 1, directory, directory, manifest, sizeBytes, modifiedMillis, problem);
    }

    public Path modelFile() {
        return directory.resolve(MODEL_FILE);
    }

    public ModelRef ref() {
        return new ModelRef(name, version);
    }

    public double sizeGb() {
        return Math.round(sizeBytes / 1e9 * 1000.0) / 1000.0;
    }

    /** A side file (tokenizer, dictionary): the version's own when it has one, else the model's, shared by its versions. */
    public Path sideFile(String file) {
        Path own = directory.resolve(file);
        return Files.exists(own) || directory.equals(root) ? own : root.resolve(file);
    }

    /**
     * Whether a session opened for {@code other} would be the same as one opened for this: the same
     * files and the same manifest apart from routing and version policy, which only steer traffic.
     */
    public boolean servesLike(ModelEntry other) {
        return other != null && name.equals(other.name) && version == other.version && directory.equals(other.directory)
                && sizeBytes == other.sizeBytes && modifiedMillis == other.modifiedMillis
                && java.util.Objects.equals(problem, other.problem)
                && manifest.withoutTraffic().equals(other.manifest.withoutTraffic());
    }
}
