package dev.kiln.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** The writable repository the test profile serves (a copy of the demo repository). */
public final class TestRepository {

    public static final Path ROOT = Path.of("target/test-models").toAbsolutePath();

    private TestRepository() {
    }

    public static Path writeModel(String name, byte[] onnx) throws IOException {
        Path dir = Files.createDirectories(ROOT.resolve(name));
        Files.write(dir.resolve("model.onnx"), onnx);
        return dir;
    }

    public static void delete(String name) throws IOException {
        Path dir = ROOT.resolve(name);
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
