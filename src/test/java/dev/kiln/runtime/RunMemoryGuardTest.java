package dev.kiln.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.kiln.registry.ResidentMemory;
import dev.kiln.testing.TestRepository;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.LongBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fp32 MiniLM in a real ONNX Runtime session with its CPU arena, as Kiln opens it: 16 x 512
 * tokens take about 450 MB while they run, which the arena keeps unless it is given back, and
 * which a ceiling below them stops.
 */
class RunMemoryGuardTest {

    private static final long MIB = 1 << 20;
    private static OrtEnvironment env;
    private static LoadedModel model;

    @BeforeAll
    static void open() throws OrtException {
        env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setCPUArenaAllocator(true);
            o.setIntraOpNumThreads(2);
            OrtSession session = env.createSession(TestRepository.ROOT.resolve("all-minilm-l6-v2/model.onnx").toString(), o);
            model = new LoadedModel(session, "cpu", List.of(), true);
        }
        try (var r = model.run(tokens(1, 8), Set.of())) {
            // warm: the arena now holds what a small run takes
        }
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void aLargeRunsArenaIsGivenBack() throws Exception {
        long before = ResidentMemory.bytes();
        try (var r = model.run(tokens(16, 512), Set.of())) {
            assertEquals(16L * 512 * 384, ((OnnxTensor) r.get(0)).getInfo().getNumElements());
        }
        long kept = ResidentMemory.bytes() - before;
        assertTrue(kept > 250 * MIB, "the arena keeps the large run's memory: " + kept / MIB + " MiB");
        giveBack();
        long left = ResidentMemory.bytes() - before;
        assertTrue(left < kept - 200 * MIB, "given back: " + kept / MIB + " MiB held, " + left / MIB + " MiB after");
    }

    @Test
    void aRunThatTakesTheProcessPastTheCeilingIsStoppedAndSaysWhy() throws Exception {
        RunMemoryGuard guard = new RunMemoryGuard(ResidentMemory.bytes() + 120 * MIB, "a test ceiling", ResidentMemory::bytes);
        Map<String, OnnxTensor> feeds = tokens(16, 512);
        try (RunMemoryGuard.Watch watch = guard.watch("all-minilm-l6-v2", 16 * 512 * 3, () -> false)) {
            OrtException e = assertThrows(OrtException.class, () -> model.run(feeds, Set.of(), watch.options()).close());
            assertTrue(watch.stopped(), e.getMessage());
            assertTrue(watch.reason().contains("the run of 'all-minilm-l6-v2' was stopped") && watch.reason().contains("a test ceiling"),
                    watch.reason());
        } finally {
            feeds.values().forEach(OnnxTensor::close);
            giveBack();
        }
        // The session runs on: a stop ends one run, not the model.
        RunMemoryGuard roomy = new RunMemoryGuard(ResidentMemory.bytes() + (1L << 30), "a roomy ceiling", ResidentMemory::bytes);
        try (RunMemoryGuard.Watch watch = roomy.watch("all-minilm-l6-v2", 8 * 3, () -> false); var r = model.run(tokens(1, 8), Set.of(), watch.options())) {
            assertFalse(watch.stopped());
            assertEquals(8L * 384, ((OnnxTensor) r.get(0)).getInfo().getNumElements());
        }
    }

    @Test
    void withoutACeilingNothingIsStopped() throws Exception {
        RunMemoryGuard guard = new RunMemoryGuard(0, "off", ResidentMemory::bytes);
        Map<String, OnnxTensor> feeds = tokens(16, 512);
        try (RunMemoryGuard.Watch watch = guard.watch("all-minilm-l6-v2", 16 * 512 * 3, () -> false); var r = model.run(feeds, Set.of(), watch.options())) {
            assertFalse(watch.stopped());
            assertEquals(16L * 512 * 384, ((OnnxTensor) r.get(0)).getInfo().getNumElements());
        } finally {
            feeds.values().forEach(OnnxTensor::close);
            giveBack();
        }
    }

    @Test
    void aRunWhoseCallersHaveGoneIsStoppedWithoutACeiling() throws Exception {
        RunMemoryGuard guard = new RunMemoryGuard(0, "off", ResidentMemory::bytes);
        Map<String, OnnxTensor> feeds = tokens(16, 512);
        long t0 = System.nanoTime();
        try (RunMemoryGuard.Watch watch = guard.watch("all-minilm-l6-v2", 16 * 512 * 3, () -> System.nanoTime() - t0 > 100_000_000L)) {
            assertThrows(OrtException.class, () -> model.run(feeds, Set.of(), watch.options()).close());
            assertTrue(watch.abandoned());
            assertFalse(watch.stopped(), "not a memory stop");
        } finally {
            feeds.values().forEach(OnnxTensor::close);
            giveBack();
        }
    }

    @Test
    void aCeilingBelowWhatKilnTakesAtRestStopsEveryRunAlike() throws Exception {
        RunMemoryGuard guard = new RunMemoryGuard(1, "one byte", ResidentMemory::bytes);
        for (int i = 0; i < 5; i++) {
            Map<String, OnnxTensor> feeds = tokens(1, 8);
            try (RunMemoryGuard.Watch watch = guard.watch("all-minilm-l6-v2", 8 * 3, () -> false)) {
                assertThrows(OrtException.class, () -> model.run(feeds, Set.of(), watch.options()).close(), "run " + i);
                assertTrue(watch.stopped());
            } finally {
                feeds.values().forEach(OnnxTensor::close);
            }
        }
    }

    /** What the test's large run left in the arena goes back before the next test measures. */
    private static void giveBack() throws OrtException {
        Map<String, OnnxTensor> small = tokens(1, 8);
        try {
            model.giveBackArena(small);
        } finally {
            small.values().forEach(OnnxTensor::close);
        }
    }

    private static Map<String, OnnxTensor> tokens(int rows, int length) throws OrtException {
        long[] shape = {rows, length};
        long[] ids = new long[rows * length];
        Arrays.fill(ids, 2000);
        long[] ones = new long[rows * length];
        Arrays.fill(ones, 1);
        Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
        feeds.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape));
        feeds.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(ones), shape));
        feeds.put("token_type_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(new long[rows * length]), shape));
        return feeds;
    }
}
