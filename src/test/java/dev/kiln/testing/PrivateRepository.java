package dev.kiln.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A model repository of its own for a test profile, made before Quarkus starts (from the profile's
 * configuration), so a test that changes models cannot disturb the shared test repository.
 */
public final class PrivateRepository {

    private PrivateRepository() {
    }

    /** Writes each model as {@code <name>/model.onnx} (+ {@code model.yaml} when given) under target/<dir>. */
    public static String create(String dir, Map<String, byte[]> models, Map<String, String> manifests) {
        try {
            Path root = Path.of("target", dir).toAbsolutePath();
            PackagedKiln.deleteTree(root);
            for (Map.Entry<String, byte[]> m : models.entrySet()) {
                Path d = Files.createDirectories(root.resolve(m.getKey()));
                Files.write(d.resolve("model.onnx"), m.getValue());
                String yaml = manifests.get(m.getKey());
                if (yaml != null) {
                    Files.writeString(d.resolve("model.yaml"), yaml);
                }
            }
            return root.toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Copies of demo models, by name, into a private repository. */
    public static Map<String, byte[]> demo(String... names) {
        Map<String, byte[]> out = new java.util.LinkedHashMap<>();
        for (String n : names) {
            try {
                out.put(n, Files.readAllBytes(Path.of("target/demo-models", n, "model.onnx")));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out;
    }
}
