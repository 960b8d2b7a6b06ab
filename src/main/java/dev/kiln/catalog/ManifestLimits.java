package dev.kiln.catalog;

import dev.kiln.config.RuntimeSettings;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The range of every number in {@code model.yaml}. A manifest is operator input, but it may come
 * with a model from anyone: {@code warmup.iterations: 1000000000} kept the startup probe down for
 * good, {@code intra_op_threads: 100000} grew the process by gigabytes, {@code keep_alive: "-5h"}
 * was taken as "never". Out of range, the model is FAILED with a reason naming the field and the range.
 */
final class ManifestLimits {

    /** The same bound as the service-wide warmup_iterations setting. */
    static final int MAX_WARMUP_ITERATIONS = 100;
    /** Elements of one warm-up input: 16 Mi (the demo's largest, PP-OCR det at 640x640, is 1.2 Mi). */
    static final long MAX_WARMUP_ELEMENTS = 1L << 24;
    /** Per-session threads (0 = ONNX Runtime's default). Fixed, not per machine: a manifest means the same everywhere. */
    static final int MAX_THREADS = 256;
    static final int MAX_BATCH_SIZE = 1024;
    static final int MAX_PREFERRED_SIZES = 64;
    static final Duration MAX_QUEUE_DELAY = Duration.ofSeconds(10);
    static final int MAX_TOKENS = 32_768;
    static final Duration MAX_KEEP_ALIVE = Duration.ofDays(365);
    static final int MAX_RANK = 32;
    static final long MAX_DIMENSION = Integer.MAX_VALUE;

    private ManifestLimits() {
    }

    /** Every out-of-range value, joined; null when all are in range. */
    static String problems(ModelManifest m) {
        List<String> out = new ArrayList<>();
        warmup(m.warmup(), out);
        execution(m.execution(), out);
        batching(m.batching(), out);
        shapes("input_limits", m.inputLimits(), 0, out);
        if (m.embedding() != null) {
            range("embedding.max_tokens", m.embedding().maxTokens(), 0, MAX_TOKENS, " (0: the tokenizer's own limit)", out);
        }
        keepAlive(m.keepAlive(), out);
        if (m.versionPolicy() != null && m.versionPolicy().problem() != null) {
            out.add("version_policy " + m.versionPolicy().problem());
        }
        if (m.routing() != null) {
            out.addAll(m.routing().problems());
        }
        return out.isEmpty() ? null : "model.yaml " + String.join("; ", out);
    }

    private static void warmup(ModelManifest.Warmup w, List<String> out) {
        if (w == null) {
            return;
        }
        range("warmup.iterations", w.iterations(), 0, MAX_WARMUP_ITERATIONS, "", out);
        shapes("warmup.shapes", w.shapes(), 1, out);
        if (w.shapes() != null) {
            w.shapes().forEach((input, dims) -> {
                if (dims != null && dims.stream().allMatch(d -> d != null && d >= 1 && d <= MAX_DIMENSION)
                        && elements(dims) > MAX_WARMUP_ELEMENTS) {
                    out.add("warmup.shapes." + input + " " + dims + " is more than " + MAX_WARMUP_ELEMENTS + " elements");
                }
            });
        }
    }

    private static void execution(ModelManifest.Execution e, List<String> out) {
        if (e != null) {
            range("execution.intra_op_threads", e.intraOpThreads(), 0, MAX_THREADS, " (0: ONNX Runtime's default)", out);
            range("execution.inter_op_threads", e.interOpThreads(), 0, MAX_THREADS, " (0: ONNX Runtime's default)", out);
        }
    }

    private static void batching(ModelManifest.Batching b, List<String> out) {
        if (b == null) {
            return;
        }
        range("batching.max_batch_size", b.maxBatchSize(), 0, MAX_BATCH_SIZE, " (0 or 1: no batching)", out);
        int largest = b.maxBatchSize() != null && b.maxBatchSize() >= 1 && b.maxBatchSize() <= MAX_BATCH_SIZE
                ? b.maxBatchSize() : MAX_BATCH_SIZE;
        List<Integer> preferred = b.preferredBatchSizes();
        if (preferred != null) {
            if (preferred.size() > MAX_PREFERRED_SIZES) {
                out.add("batching.preferred_batch_sizes has " + preferred.size() + " sizes; allowed at most " + MAX_PREFERRED_SIZES);
            } else if (preferred.stream().anyMatch(p -> p == null || p < 1 || p > largest)) {
                out.add("batching.preferred_batch_sizes " + preferred + " must each be from 1 to " + largest
                        + " (batching.max_batch_size)");
            }
        }
        if (b.maxQueueDelay() != null) {
            Duration d = duration(b.maxQueueDelay());
            if (d == null || d.isNegative() || d.compareTo(MAX_QUEUE_DELAY) > 0) {
                out.add("batching.max_queue_delay '" + b.maxQueueDelay() + "' must be a duration from 0 to "
                        + MAX_QUEUE_DELAY.toSeconds() + "s (e.g. 2ms)");
            }
        }
    }

    /** Each list at most {@link #MAX_RANK} long, each size from {@code min} to {@link #MAX_DIMENSION}; 0 allowed when min is 0. */
    private static void shapes(String field, Map<String, List<Long>> shapes, long min, List<String> out) {
        if (shapes == null) {
            return;
        }
        shapes.forEach((input, dims) -> {
            if (dims == null || dims.size() > MAX_RANK) {
                out.add(field + "." + input + " must be a list of at most " + MAX_RANK + " sizes");
            } else if (dims.stream().anyMatch(d -> (d == null && min > 0) || (d != null && (d < min || d > MAX_DIMENSION)))) {
                out.add(field + "." + input + " " + dims + " must hold sizes from " + min + " to " + MAX_DIMENSION
                        + (min == 0 ? " (0: no limit)" : ""));
            }
        });
    }

    /** {@code -1} (never), {@code 0} (after each use), or a positive duration up to a year; nothing else negative. */
    private static void keepAlive(String text, List<String> out) {
        if (text == null) {
            return;
        }
        String t = text.trim();
        if (t.equals("-1") || t.equals("0")) {
            return;
        }
        Duration d = duration(t);
        if (d == null || d.isNegative() || d.compareTo(MAX_KEEP_ALIVE) > 0) {
            out.add("keep_alive '" + text + "' must be -1 (never unload), 0 (unload after each use) or a duration up to "
                    + MAX_KEEP_ALIVE.toDays() + "d such as 5m or 1h");
        }
    }

    private static void range(String field, Integer value, int min, int max, String note, List<String> out) {
        if (value != null && (value < min || value > max)) {
            out.add(field + " is " + value + "; allowed " + min + " to " + max + note);
        }
    }

    private static Duration duration(String text) {
        try {
            return RuntimeSettings.parseDuration(text);
        } catch (IllegalArgumentException | ArithmeticException | java.time.DateTimeException e) {
            return null;
        }
    }

    private static long elements(List<Long> dims) {
        long n = 1;
        for (long d : dims) {
            if (n > MAX_WARMUP_ELEMENTS / d) {
                return Long.MAX_VALUE;
            }
            n *= d;
        }
        return n;
    }
}
