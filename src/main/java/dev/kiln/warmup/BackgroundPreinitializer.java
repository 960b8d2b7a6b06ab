package dev.kiln.warmup;

import dev.kiln.catalog.ModelManifest;
import dev.kiln.files.BoundedYaml;

/**
 * Gets ready, on a daemon thread while Quarkus starts, what the first second needs and Quarkus's start
 * does not: the manifest reader (SnakeYAML and Jackson's deserializers for model.yaml, about 0.1 s the
 * first time, then on the startup thread in the repository scan) and ONNX Runtime's native library
 * (about 0.15 s, then waited for by the first model load). Quarkus starts on one thread, so on a
 * second core this work overlaps it instead of following it. The idea is Spring Boot's
 * BackgroundPreinitializer. Nothing here reads the repository, configuration or environment: what it
 * has not finished, or could not do, is done as before by whoever needs it first.
 */
final class BackgroundPreinitializer {

    /** Every field's type of a manifest, so the whole deserializer tree is built, not only the root's. */
    static final String SAMPLE_MANIFEST = """
            name: warm-up
            category: text
            lazy_load: true
            warmup:
              iterations: 1
              shapes:
                x: [1, 4]
            execution:
              intra_op_threads: 1
            batching:
              max_batch_size: 4
              max_queue_delay: 2ms
              preferred_batch_sizes: [2, 4]
            input_limits:
              x: [4, 8]
            """;
    private static final long LOGGING_WAIT_MS = 5_000;
    private static final String JUL_MANAGER = "java.util.logging.manager";

    private BackgroundPreinitializer() {
    }

    static void start() {
        Thread thread = new Thread(BackgroundPreinitializer::run, "kiln-preinitializer");
        thread.setDaemon(true);
        // A start that fails at once (the port is taken) exits while the library may still be loading;
        // tearing the C++ runtime down under that is a crash, so the exit waits for this thread.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> join(thread), "kiln-preinitializer-exit"));
        thread.start();
    }

    private static void run() {
        try {
            BoundedYaml.prime(ModelManifest.class, SAMPLE_MANIFEST);
        } catch (java.io.IOException | RuntimeException e) {
            // the first real manifest builds the same, on the startup thread, as before
        }
        if (loggingReady()) {
            loadOnnxRuntime();
        }
    }

    /**
     * ONNX Runtime's own loader, not a class whose initialiser calls it: a class that failed to
     * initialise stays failed, and every later use of OrtEnvironment said only "Could not initialize
     * class" where the first model load said why (no space for the library in java.io.tmpdir, a wrong
     * onnxruntime.native.path). Loaded here, the library is loaded for all of ONNX Runtime's classes;
     * not loaded, the first real user tries again and reports why.
     */
    static void loadOnnxRuntime() {
        try {
            Class<?> runtime = Class.forName("ai.onnxruntime.OnnxRuntime", true, BackgroundPreinitializer.class.getClassLoader());
            java.lang.reflect.Method init = runtime.getDeclaredMethod("init");
            init.setAccessible(true);
            init.invoke(null);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            // a library that cannot load is reported by the engine's health and the first load
        }
    }

    /**
     * ONNX Runtime logs through java.util.logging from its first class on; touched before Quarkus has
     * named its log manager (the first thing Quarkus.run does) the JDK would install its own, and every
     * log line after would lose Quarkus's format and levels.
     */
    private static boolean loggingReady() {
        long deadline = System.currentTimeMillis() + LOGGING_WAIT_MS;
        while (System.getProperty(JUL_MANAGER) == null) {
            if (System.currentTimeMillis() > deadline) {
                return false;
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    private static void join(Thread thread) {
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
