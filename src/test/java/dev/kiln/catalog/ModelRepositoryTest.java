package dev.kiln.catalog;

import dev.kiln.config.AiModelsConfig;
import dev.kiln.files.AtomicFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelRepositoryTest {

    @TempDir
    Path root;

    private ModelRepository repository() {
        AiModelsConfig config = (AiModelsConfig) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[]{AiModelsConfig.class}, (proxy, method, args) -> {
                    if (method.getName().equals("repository")) {
                        return root.toString();
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
        return new ModelRepository(config);
    }

    private Path model(String name, String manifest) throws Exception {
        Path dir = Files.createDirectories(root.resolve(name));
        Files.write(dir.resolve("model.onnx"), new byte[1234]);
        if (manifest != null) {
            Files.writeString(dir.resolve("model.yaml"), manifest);
        }
        return dir;
    }

    @Test
    void bareDirectoryGetsDocumentedDefaultsAndMeasuredSize() throws Exception {
        Path dir = model("bare", null);
        Files.write(dir.resolve("vocab.txt"), new byte[766]);
        ModelEntry e = repository().scan().get(0);
        assertEquals("bare", e.name());
        assertEquals("other", e.manifest().category());
        assertEquals("local", e.manifest().provider());
        assertEquals("onnxruntime", e.manifest().inferenceEngine());
        assertFalse(e.manifest().isLazy());
        assertTrue(e.manifest().isEnabled());
        assertEquals(2000, e.sizeBytes());
        assertNull(e.problem());
    }

    @Test
    void directoriesThatAreNotModelsAreSkipped() throws Exception {
        model("good", "category: text\nlazy_load: true\n");
        Files.createDirectories(root.resolve("empty-dir"));
        model("Not_Valid", null);
        model(".kiln-tmp-abc", null);
        List<ModelEntry> entries = repository().scan();
        assertEquals(List.of("good"), entries.stream().map(ModelEntry::name).toList());
        assertTrue(entries.get(0).manifest().isLazy());
    }

    @Test
    void manifestProblemsAreReportedNotThrown() throws Exception {
        model("mismatch", "name: other-name\n");
        model("unknown-field", "lazyload: true\n");
        model("bad-engine", "inference_engine: vllm\n");
        List<ModelEntry> entries = repository().scan();
        assertTrue(entries.get(0).problem().contains("inference_engine 'vllm'"));
        assertTrue(entries.get(1).problem().contains("directory is 'mismatch'"));
        assertTrue(entries.get(2).problem().contains("lazyload"), entries.get(2).problem());
    }

    @Test
    void manifestWriteIsAtomicAndRoundTrips() throws Exception {
        model("writable", "category: voice\n");
        ModelRepository repo = repository();
        ModelManifest m = repo.find("writable").orElseThrow().manifest().withEnabled(false);
        repo.writeManifest("writable", m);
        ModelEntry again = repo.find("writable").orElseThrow();
        assertFalse(again.manifest().isEnabled());
        assertEquals("voice", again.manifest().category());
        try (Stream<Path> files = Files.list(root.resolve("writable"))) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith(AtomicFiles.TEMP_PREFIX)));
        }
    }

    @Test
    void namesAreCheckedBeforeTheyTouchAPath() {
        ModelRepository repo = repository();
        for (String bad : new String[]{"..", "../etc", "a/b", "Upper", "", ".hidden", "a".repeat(65), "x\u0000"}) {
            assertThrows(InvalidModelNameException.class, () -> repo.directoryOf(bad), bad);
        }
        assertEquals(root.resolve("ok-name_1.2"), repo.directoryOf("ok-name_1.2"));
    }
}
