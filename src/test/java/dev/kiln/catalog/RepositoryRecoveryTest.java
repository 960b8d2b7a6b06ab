package dev.kiln.catalog;

import dev.kiln.config.AiModelsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a kill -9 can leave behind, and how startup repairs it. */
class RepositoryRecoveryTest {

    @TempDir
    Path root;

    ModelRepository repository() {
        return new ModelRepository((AiModelsConfig) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[]{AiModelsConfig.class}, (p, m, a) -> root.toString()));
    }

    Path model(String name, String content) throws Exception {
        Path dir = Files.createDirectories(root.resolve(name));
        Files.writeString(dir.resolve("model.onnx"), content);
        return dir;
    }

    @Test
    void crashMidDownloadOrMidManifestWrite() throws Exception {
        Path staging = Files.createDirectories(root.resolve(".kiln-tmp-install-123/model"));
        Files.writeString(staging.resolve("model.onnx"), "half");
        Path dir = model("keeper", "v1");
        Files.writeString(dir.resolve(".kiln-tmp-model.yaml-abc"), "name: kee");
        Files.writeString(root.resolve(".kiln-tmp-.kiln-settings.yaml-x"), "lazy");
        ModelRepository repo = repository();
        repo.recover();
        try (var left = Files.list(root)) {
            assertEquals(java.util.List.of("keeper"), left.map(p -> p.getFileName().toString())
                    .filter(n -> !n.equals(dev.kiln.files.RepositoryLocks.DIRECTORY)).toList(), "only the model directory remains (and the lock files)");
        }
        assertFalse(Files.exists(dir.resolve(".kiln-tmp-model.yaml-abc")));
        assertEquals("v1", Files.readString(dir.resolve("model.onnx")));
        assertEquals(1, repo.scan().size());
    }

    @Test
    void crashBetweenTheTwoRenamesOfAReplaceBringsTheOldVersionBack() throws Exception {
        model("swapped", "old");
        Files.move(root.resolve("swapped"), root.resolve(".kiln-replaced-swapped"));
        repository().recover();
        assertEquals("old", Files.readString(root.resolve("swapped/model.onnx")));
        assertFalse(Files.exists(root.resolve(".kiln-replaced-swapped")));
    }

    @Test
    void crashAfterTheNewVersionMovedInKeepsTheNewOne() throws Exception {
        model("swapped", "new");
        Path aside = Files.createDirectories(root.resolve(".kiln-replaced-swapped"));
        Files.writeString(aside.resolve("model.onnx"), "old");
        repository().recover();
        assertEquals("new", Files.readString(root.resolve("swapped/model.onnx")));
        assertFalse(Files.exists(aside));
    }

    @Test
    void moveIntoPlaceReplacesAtomicallyAndLeavesNoAside() throws Exception {
        model("m", "old");
        Path staged = Files.createDirectories(root.resolve(".kiln-tmp-install-9/model"));
        Files.writeString(staged.resolve("model.onnx"), "new");
        ModelRepository repo = repository();
        repo.moveIntoPlace(staged, "m");
        assertEquals("new", Files.readString(root.resolve("m/model.onnx")));
        assertFalse(Files.exists(root.resolve(".kiln-replaced-m")));
        repo.delete("m");
        assertFalse(Files.exists(root.resolve("m")));
        try (var left = Files.list(root)) {
            assertTrue(left.allMatch(p -> p.getFileName().toString().equals(".kiln-tmp-install-9")));
        }
    }
}
