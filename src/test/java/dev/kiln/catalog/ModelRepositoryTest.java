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
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
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

    /**
     * Issue 17: a 20 MB model.yaml kept SnakeYAML busy for minutes on the thread that scans (startup,
     * rescan). Now it is refused by its size before a byte is parsed, and the models beside it read as usual.
     */
    @Test
    void anOversizedManifestIsRefusedUnreadAndDelaysNobody() throws Exception {
        model("first", "category: text\n");
        Path big = model("oversized", null).resolve("model.yaml");
        try (var out = new java.io.BufferedWriter(Files.newBufferedWriter(big), 1 << 20)) {
            out.write("description: \"");
            char[] chunk = new char[1 << 20];
            java.util.Arrays.fill(chunk, 'x');
            for (int i = 0; i < 20; i++) {
                out.write(chunk);
            }
            out.write("\"\n");
        }
        model("last", "category: image\n");
        List<ModelEntry> entries = assertTimeoutPreemptively(java.time.Duration.ofSeconds(30), () -> repository().scan(),
                "a 20 MB model.yaml must not hold the scan");
        assertEquals(List.of("first", "last", "oversized"), entries.stream().map(ModelEntry::name).toList());
        assertNull(entries.get(0).problem());
        assertNull(entries.get(1).problem());
        assertEquals("model.yaml is " + Files.size(big) + " bytes, more than the 256 KiB Kiln reads; nothing of it was parsed",
                entries.get(2).problem());
    }

    @Test
    void everyNumberOfTheManifestHasARange() throws Exception {
        String[][] cases = {
                {"warmup:\n  iterations: 1000000000\n", "warmup.iterations is 1000000000; allowed 0 to 100"},
                {"warmup:\n  iterations: -1\n", "warmup.iterations is -1; allowed 0 to 100"},
                {"warmup:\n  shapes:\n    x: [100000, 100000]\n", "warmup.shapes.x [100000, 100000] is more than 16777216 elements"},
                {"warmup:\n  shapes:\n    x: [1, 0]\n", "warmup.shapes.x [1, 0] must hold sizes from 1 to 2147483647"},
                {"warmup:\n  shapes:\n    x: [1, -3]\n", "warmup.shapes.x [1, -3] must hold sizes from 1"},
                {"execution:\n  intra_op_threads: 100000\n", "execution.intra_op_threads is 100000; allowed 0 to 256"},
                {"execution:\n  inter_op_threads: -2\n", "execution.inter_op_threads is -2; allowed 0 to 256"},
                {"batching:\n  max_batch_size: 100000\n", "batching.max_batch_size is 100000; allowed 0 to 1024"},
                {"batching:\n  max_batch_size: 8\n  preferred_batch_sizes: [4, 16]\n",
                        "batching.preferred_batch_sizes [4, 16] must each be from 1 to 8"},
                {"batching:\n  max_batch_size: 8\n  max_queue_delay: 1h\n", "batching.max_queue_delay '1h' must be a duration from 0 to 10s"},
                {"batching:\n  max_batch_size: 8\n  max_queue_delay: soon\n", "batching.max_queue_delay 'soon'"},
                {"input_limits:\n  x: [64, -512]\n", "input_limits.x [64, -512] must hold sizes from 0 to 2147483647 (0: no limit)"},
                {"embedding:\n  max_tokens: 10000000\n", "embedding.max_tokens is 10000000; allowed 0 to 32768"},
                {"keep_alive: \"-5h\"\n", "keep_alive '-5h' must be -1 (never unload), 0 (unload after each use) or a duration up to 365d"},
                {"keep_alive: \"-2\"\n", "keep_alive '-2' must be -1"},
                {"keep_alive: PT-5M\n", "keep_alive 'PT-5M' must be -1"},
                {"keep_alive: 99999999999999d\n", "keep_alive '99999999999999d' must be -1"},
                {"keep_alive: later\n", "keep_alive 'later' must be -1"},
                {"warmup:\n  iterations: 2.5\n", "model.yaml is not valid"},
        };
        for (int i = 0; i < cases.length; i++) {
            model("bad-" + i, cases[i][0]);
        }
        List<ModelEntry> entries = repository().scan();
        for (int i = 0; i < cases.length; i++) {
            String name = "bad-" + i;
            ModelEntry e = entries.stream().filter(m -> m.name().equals(name)).findFirst().orElseThrow();
            assertNotNull(e.problem(), cases[i][0] + " was accepted");
            assertTrue(e.problem().contains(cases[i][1]), cases[i][0] + " -> " + e.problem());
        }
    }

    @Test
    void valuesInRangeAreAccepted() throws Exception {
        model("fine", "warmup:\n  iterations: 100\n  shapes:\n    x: [1, 3, 640, 640]\n"
                + "execution:\n  intra_op_threads: 0\n  inter_op_threads: 256\n"
                + "batching:\n  max_batch_size: 32\n  max_queue_delay: 2ms\n  preferred_batch_sizes: [8, 16, 32]\n"
                + "input_limits:\n  x: [64, 0, 512]\n"
                + "embedding:\n  max_tokens: 512\n"
                + "keep_alive: \"-1\"\n");
        for (String keepAlive : new String[]{"0", "5m", "1h", "365d", "PT90S"}) {
            model("keep-" + keepAlive.toLowerCase(), "keep_alive: " + keepAlive + "\n");
        }
        for (ModelEntry e : repository().scan()) {
            assertNull(e.problem(), e.name() + ": " + e.problem());
        }
    }

    @Test
    void aManifestThatIsNotAPlainFileBesideTheModelIsRefused() throws Exception {
        Path fifo = model("fifo", null).resolve("model.yaml");
        new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor();
        Path secret = Files.writeString(root.resolve("secret.yaml"), "root:x:0:0:root:/root:/bin/bash\n");
        Files.createSymbolicLink(model("linked-out", null).resolve("model.yaml"), secret);
        List<ModelEntry> entries = assertTimeoutPreemptively(java.time.Duration.ofSeconds(30), () -> repository().scan(),
                "a FIFO must not block the scan");
        assertEquals("model.yaml is not a regular file", entries.get(0).problem());
        assertEquals("model.yaml is a link to a file outside its directory", entries.get(1).problem());
    }

    @Test
    void manifestWriteIsAtomicAndRoundTrips() throws Exception {
        model("writable", "category: voice\n");
        ModelRepository repo = repository();
        ModelManifest m = repo.find("writable").orElseThrow().manifest().withEnabled(false);
        repo.writeManifest("writable", m);
        ModelDirectory again = repo.find("writable").orElseThrow();
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

    /**
     * New weights of the same size moved in with the old modification time kept (cp -p, rsync -a, tar x,
     * a mv) are still new files: their status change time says so, and replicas that follow the disk
     * must not serve the old weights for good while a restarted one serves the new.
     */
    @Test
    void filesSwappedWithTheirTimesKeptAreSeenAsChanged() throws Exception {
        Path dir = model("same-size", null);
        Path file = dir.resolve("model.onnx");
        java.nio.file.attribute.FileTime then = java.nio.file.attribute.FileTime.fromMillis(1_764_547_200_000L); // 2025-12-01
        Files.setLastModifiedTime(file, then);
        ModelEntry before = repository().scan().get(0);
        Thread.sleep(20);
        Path copy = Files.write(root.resolve("new-weights.onnx"), new byte[1234]);
        Files.setLastModifiedTime(copy, then);
        Files.move(copy, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        ModelEntry after = repository().scan().get(0);
        assertEquals(before.sizeBytes(), after.sizeBytes());
        assertEquals(then, Files.getLastModifiedTime(file), "the modification time was kept");
        assertFalse(before.servesLike(after), "the swap is a change");
    }
}
