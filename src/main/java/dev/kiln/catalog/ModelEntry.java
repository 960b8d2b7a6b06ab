package dev.kiln.catalog;

import java.nio.file.Path;

/**
 * One model as found on disk. {@code problem} is set when the directory is not a usable model
 * (unreadable manifest, name mismatch); such a model is reported FAILED with that reason.
 * {@code modifiedMillis} is the newest file time: a rescan uses it to tell whether anything changed.
 */
public record ModelEntry(String name, Path directory, ModelManifest manifest, long sizeBytes, long modifiedMillis,
                         String problem) {

    public static final String MODEL_FILE = "model.onnx";
    public static final String MANIFEST_FILE = "model.yaml";

    public Path modelFile() {
        return directory.resolve(MODEL_FILE);
    }

    public double sizeGb() {
        return Math.round(sizeBytes / 1e9 * 1000.0) / 1000.0;
    }
}
