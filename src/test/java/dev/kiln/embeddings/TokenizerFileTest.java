package dev.kiln.embeddings;

import dev.kiln.catalog.ModelEntry;
import dev.kiln.catalog.ModelManifest;
import dev.kiln.errors.KilnError;
import dev.kiln.registry.ModelLifecycleEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A tokenizer.json that is not a small regular file inside its model's directory is refused with its
 * reason before anything reads it, and never opened ahead by the warm-up's rehearsal: a FIFO blocked
 * the reading thread for good, a 120 MB file took a 192 MB heap at startup.
 */
class TokenizerFileTest {

    private static ModelEntry model(Path dir) {
        return new ModelEntry("tok", dir, ModelManifest.defaults("tok"), 0, 0, null);
    }

    private static KilnError refusal(Tokenizers tokenizers, ModelEntry model) {
        return assertThrows(KilnError.class, () -> tokenizers.encodeAll(model, List.of("hello"), 16));
    }

    /** Refused with a 422 naming the reason, and not one the rehearsal opens ahead. */
    private static void assertRefusedAndNotOpenedAhead(Path dir, String reason) {
        Tokenizers tokenizers = new Tokenizers();
        KilnError e = refusal(tokenizers, model(dir));
        assertEquals(KilnError.Kind.UNPROCESSABLE, e.kind());
        assertTrue(e.getMessage().contains(reason), e.getMessage());
        assertFalse(tokenizers.worthOpeningAhead(model(dir)));
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aFifoIsRefusedWithoutBeingOpened(@TempDir Path dir) throws Exception {
        Process mkfifo = new ProcessBuilder("mkfifo", dir.resolve(Tokenizers.FILE).toString()).start();
        assertEquals(0, mkfifo.waitFor());
        assertRefusedAndNotOpenedAhead(dir, "is not a regular file");
    }

    @Test
    void aFileLargerThanTheCapIsRefusedUnread(@TempDir Path dir) throws Exception {
        try (RandomAccessFile sparse = new RandomAccessFile(dir.resolve(Tokenizers.FILE).toFile(), "rw")) {
            sparse.setLength(Tokenizers.MAX_BYTES + 1);
        }
        assertRefusedAndNotOpenedAhead(dir, "more than the 64 MiB");
    }

    @Test
    void aLinkOutOfTheModelsDirectoryIsRefused(@TempDir Path dir) throws Exception {
        Path secret = Files.writeString(dir.resolve("secret.json"), "{\"not\": \"a tokenizer, and not the model's\"}");
        Path modelDir = Files.createDirectory(dir.resolve("tok"));
        Files.createSymbolicLink(modelDir.resolve(Tokenizers.FILE), secret);
        KilnError e = refusal(new Tokenizers(), model(modelDir));
        assertTrue(e.getMessage().contains("outside the model's directory"), e.getMessage());
        assertFalse(e.getMessage().contains("not a tokenizer"), "nothing of the other file is told: " + e.getMessage());
    }

    @Test
    void theDemoTokenizerIsOpenedAheadAndEncodes() throws Exception {
        Path demo = Path.of("target/demo-models/all-minilm-l6-v2-q");
        Tokenizers tokenizers = new Tokenizers();
        assertTrue(tokenizers.worthOpeningAhead(model(demo)));
        assertTrue(tokenizers.encodeAll(model(demo), List.of("hello world"), 16)[0].getIds().length >= 3);
    }

    /** Sixteen first requests at once open the tokenizer once: the others wait for it, none reads its own. */
    /** What {@code callers} threads released together got, in order; each finishes within the test's timeout. */
    private static <T> List<T> atOnce(int callers, Callable<T> call) throws Exception {
        CyclicBarrier together = new CyclicBarrier(callers);
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        try {
            List<Future<T>> futures = IntStream.range(0, callers).mapToObj(i -> pool.submit(() -> {
                together.await();
                return call.call();
            })).toList();
            List<T> got = new ArrayList<>();
            for (Future<T> f : futures) {
                got.add(f.get());
            }
            return got;
        } finally {
            pool.shutdownNow();
        }
    }

    private static int distinct(List<?> objects) {
        Set<Object> same = Collections.newSetFromMap(new IdentityHashMap<>());
        same.addAll(objects);
        return same.size();
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void concurrentFirstRequestsOpenOneTokenizer() throws Exception {
        ModelEntry demo = model(Path.of("target/demo-models/all-minilm-l6-v2-q"));
        Tokenizers tokenizers = new Tokenizers();
        try {
            List<Object> got = atOnce(16, () -> tokenizers.opened(demo, 16));
            assertEquals(1, distinct(got), "tokenizers opened for one model and length");
            assertEquals(got.get(0), tokenizers.opened(demo, 16), "and it is the one kept");
        } finally {
            tokenizers.close();
        }
    }

    /**
     * Sixteen requests at once to a model whose tokenizer.json cannot be parsed share the one failed
     * reading: each re-reading it in turn behind the lock took 48 requests 21 s on a 28 MB file, and
     * 230 held all 200 worker threads, so requests to the other models waited 7 s.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void concurrentRequestsShareAFailedOpening(@TempDir Path dir) throws Exception {
        StringBuilder json = new StringBuilder("{\"version\": \"1.0\", \"model\": {\"type\": \"WordPiece\", \"vocab\": {");
        for (int i = 0; i < 600_000; i++) {
            json.append("\"zzqx").append(i).append("\": ").append(i).append(", ");
        }
        Files.writeString(dir.resolve(Tokenizers.FILE), json); // never closed: EOF while parsing
        ModelEntry broken = model(dir);
        Tokenizers tokenizers = new Tokenizers();
        try {
            List<KilnError> got = atOnce(16, () -> assertThrows(KilnError.class, () -> tokenizers.opened(broken, 16)));
            for (KilnError e : got) {
                assertEquals(KilnError.Kind.UNPROCESSABLE, e.kind());
                assertTrue(e.getMessage().contains("cannot be read"), e.getMessage());
            }
            assertTrue(distinct(got) <= 2, "16 callers read the broken file " + distinct(got) + " times");
        } finally {
            tokenizers.close();
        }
    }

    /** DJL holds about four times the file while it parses: a 28 MB tokenizer ran a 192 MB heap out. */
    @Test
    void aTokenizerIsReadOnlyWithinAnEighthOfTheHeapAndAt64MiB() {
        assertEquals(24L << 20, Tokenizers.readLimit(192L << 20));
        assertEquals(Tokenizers.MAX_BYTES, Tokenizers.readLimit(8L << 30));
    }

    /** A copy of the demo model's tokenizer.json in {@code dir}; {@code version} spaces after it make each version differ. */
    private static void demoTokenizerIn(Path dir, int version) throws Exception {
        String demo = Files.readString(Path.of("target/demo-models/all-minilm-l6-v2-q", Tokenizers.FILE));
        Path next = dir.resolve(Tokenizers.FILE + ".next");
        Files.writeString(next, demo + " ".repeat(version));
        Files.move(next, dir.resolve(Tokenizers.FILE), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * A replaced tokenizer's native memory is freed once no request encodes with it, and not before:
     * every replace of a model's files left one behind for good (RSS grew with each).
     */
    @Test
    void aReplacedTokenizerIsClosedOnceNoRequestHoldsIt(@TempDir Path dir) throws Exception {
        demoTokenizerIn(dir, 0);
        Tokenizers tokenizers = new Tokenizers();
        ModelEntry model = model(dir);
        OpenedTokenizer first = tokenizers.held(model, 16);          // a request encoding with it
        demoTokenizerIn(dir, 1);
        tokenizers.encodeAll(model, List.of("hello"), 16);           // the next request opens the new file
        assertFalse(first.closed(), "closed under a request that still encodes with it");
        assertTrue(first.tokenizer().encode("hello").getIds().length >= 3);
        first.release();
        assertTrue(first.closed());
        assertThrows(IllegalStateException.class, () -> first.tokenizer().encode("hello"), "its native tokenizer is freed");

        OpenedTokenizer second = tokenizers.opened(model, 16);
        demoTokenizerIn(dir, 2);
        tokenizers.encodeAll(model, List.of("hello"), 16);
        assertTrue(second.closed(), "replaced with no request holding it: closed at once");
        OpenedTokenizer third = tokenizers.opened(model, 16);
        tokenizers.close();
        assertTrue(third.closed(), "closed with the service");
    }

    /** Requests encoding while the file is replaced under them never meet a closed tokenizer. */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void encodingWhileTheFileIsReplacedNeverMeetsAClosedTokenizer(@TempDir Path dir) throws Exception {
        demoTokenizerIn(dir, 0);
        Tokenizers tokenizers = new Tokenizers();
        ModelEntry model = model(dir);
        java.util.concurrent.atomic.AtomicBoolean replacing = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.concurrent.atomic.AtomicInteger encodes = new java.util.concurrent.atomic.AtomicInteger();
        Set<OpenedTokenizer> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();
        ExecutorService encoders = Executors.newFixedThreadPool(4);
        try {
            List<Future<Integer>> runs = IntStream.range(0, 4).mapToObj(i -> encoders.submit(() -> {
                int n = 0;
                while (replacing.get()) {
                    seen.add(tokenizers.opened(model, 16));
                    assertTrue(tokenizers.encodeAll(model, List.of("hello world", "Kiln keeps models hot"), 16)[1].getIds().length > 3);
                    encodes.incrementAndGet();
                    n++;
                }
                return n;
            })).toList();
            // Each replace waits for encodes after the one before, so a slow host cannot make them all land at once.
            for (int version = 1; version <= 15; version++) {
                int before = encodes.get();
                org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).until(() -> encodes.get() >= before + 2);
                demoTokenizerIn(dir, version);
            }
            int last = encodes.get();
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).until(() -> encodes.get() >= last + 2);
            replacing.set(false);
            int encoded = 0;
            for (Future<Integer> r : runs) {
                encoded += r.get();
            }
            assertTrue(encoded >= 32, "encoded " + encoded);
        } finally {
            encoders.shutdownNow();
        }
        OpenedTokenizer current = tokenizers.opened(model, 16);
        assertTrue(seen.size() > 1, "the replaces were seen: " + seen.size());
        for (OpenedTokenizer t : seen) {
            assertEquals(t != current, t.closed(), "every replaced tokenizer closed, the current one open");
        }
        tokenizers.close();
        assertTrue(current.closed());
    }

    /** An uninstalled model's (or deleted version's) tokenizers close: the table kept them for the process's life. */
    @Test
    void aRemovedModelsTokenizersClose(@TempDir Path dir) throws Exception {
        Path gone = Files.createDirectory(dir.resolve("gone"));
        Path kept = Files.createDirectory(dir.resolve("kept"));
        demoTokenizerIn(gone, 0);
        demoTokenizerIn(kept, 0);
        Tokenizers tokenizers = new Tokenizers();
        ModelEntry removed = new ModelEntry("gone", gone, ModelManifest.defaults("gone"), 0, 0, null);
        ModelEntry other = new ModelEntry("kept", kept, ModelManifest.defaults("kept"), 0, 0, null);
        OpenedTokenizer cut = tokenizers.opened(removed, 16);
        OpenedTokenizer whole = tokenizers.opened(removed, 0);
        OpenedTokenizer stays = tokenizers.opened(other, 16);
        tokenizers.onLifecycle(new ModelLifecycleEvent("gone", removed.ref().version(), "text",
                ModelLifecycleEvent.Kind.REMOVED, 0, false, null));
        assertTrue(cut.closed() && whole.closed(), "both lengths of the removed model closed");
        assertFalse(stays.closed());
        tokenizers.close();
    }

    /** A replace by rename with the same size and modification time is a new file all the same (its inode). */
    @Test
    void aSameSizeSameTimeReplaceIsSeen(@TempDir Path dir) throws Exception {
        demoTokenizerIn(dir, 0);
        Path file = dir.resolve(Tokenizers.FILE);
        Tokenizers tokenizers = new Tokenizers();
        OpenedTokenizer before = tokenizers.opened(model(dir), 16);
        java.nio.file.attribute.FileTime time = Files.getLastModifiedTime(file);
        Path next = dir.resolve("next.json");
        Files.copy(file, next);
        Files.setLastModifiedTime(next, time);
        Files.move(next, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        OpenedTokenizer after = tokenizers.opened(model(dir), 16);
        assertTrue(after != before, "the old tokenizer is still served after the file was replaced");
        assertTrue(before.closed());
        tokenizers.close();
    }
}
