package dev.kiln.catalog;

import dev.kiln.files.AtomicFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Where a model's versions are in its directory, Triton's way and backward compatible:
 * {@code <model>/<n>/model.onnx} is version n; a {@code model.onnx} at the top is version 1.
 * {@code model.yaml} and side files at the top are shared by the versions.
 */
final class ModelLayout {

    private ModelLayout() {
    }

    /** Version number to the directory holding its model.onnx. A top-level model.onnx yields to a {@code 1/}. */
    static SortedMap<Integer, Path> versions(Path root) {
        SortedMap<Integer, Path> out = new TreeMap<>();
        if (Files.isRegularFile(root.resolve(ModelEntry.MODEL_FILE))) {
            out.put(1, root);
        }
        try (Stream<Path> entries = Files.list(root)) {
            for (Path dir : entries.toList()) {
                OptionalInt n = VersionNumber.parse(dir.getFileName().toString());
                if (n.isPresent() && Files.isDirectory(dir) && Files.isRegularFile(dir.resolve(ModelEntry.MODEL_FILE))) {
                    out.put(n.getAsInt(), dir);
                }
            }
        } catch (IOException | UncheckedIOException e) {
            // A directory that cannot be listed has no versions we can serve.
        }
        return out;
    }

    /** True when the directory holds at least one version. */
    static boolean isModel(Path root) {
        return Files.isDirectory(root) && !versions(root).isEmpty();
    }

    /** Both {@code model.onnx} at the top and {@code 1/model.onnx}: two candidates for version 1. */
    static String conflict(Path root) {
        return Files.isRegularFile(root.resolve(ModelEntry.MODEL_FILE)) && Files.isRegularFile(root.resolve("1").resolve(ModelEntry.MODEL_FILE))
                ? "both model.onnx and 1/model.onnx are version 1: keep one of them" : null;
    }

    /**
     * The files of one version: all of its own directory; for the top-level version 1, the model's
     * directory without the manifest, the other versions' directories and Kiln's own dot files.
     */
    static Stream<Path> files(Path root, Path versionDir) throws IOException {
        if (!versionDir.equals(root)) {
            return Files.walk(versionDir).filter(Files::isRegularFile).filter(ModelLayout::notTemporary);
        }
        Stream<Path> top = Files.list(root).filter(p -> {
            String name = p.getFileName().toString();
            return !name.equals(ModelEntry.MANIFEST_FILE) && !name.startsWith(".") && VersionNumber.parse(name).isEmpty();
        });
        return top.flatMap(p -> {
            try {
                return Files.isDirectory(p) ? Files.walk(p) : Stream.of(p);
            } catch (IOException e) {
                return Stream.empty();
            }
        }).filter(Files::isRegularFile).filter(ModelLayout::notTemporary);
    }

    private static boolean notTemporary(Path p) {
        return !p.getFileName().toString().startsWith(AtomicFiles.TEMP_PREFIX);
    }
}
