package dev.kiln.pipelines;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * A built-in step's {@code options}, read with their ranges: a value of the wrong type or out of
 * range, or a name the step does not know, makes the pipeline FAILED with the reason.
 */
final class StepOptions {

    private final String step;
    private final Map<String, Object> values;
    private final Set<String> read = new HashSet<>();

    StepOptions(String step, Map<String, Object> values) {
        this.step = step;
        this.values = values == null ? Map.of() : values;
    }

    double number(String key, double fallback, double min, double max) {
        read.add(key);
        Object v = values.get(key);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof Number n) || Double.isNaN(n.doubleValue()) || n.doubleValue() < min || n.doubleValue() > max) {
            throw new PipelineProblem("step '" + step + "' option " + key + " is " + v + "; allowed " + min + " to " + max);
        }
        return n.doubleValue();
    }

    int integer(String key, int fallback, int min, int max) {
        read.add(key);
        Object v = values.get(key);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof Integer n) || n < min || n > max) {
            throw new PipelineProblem("step '" + step + "' option " + key + " is " + v + "; allowed whole numbers " + min + " to " + max);
        }
        return n;
    }

    boolean flag(String key, boolean fallback) {
        read.add(key);
        Object v = values.get(key);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof Boolean b)) {
            throw new PipelineProblem("step '" + step + "' option " + key + " is " + v + "; allowed true or false");
        }
        return b;
    }

    String text(String key, String fallback, Set<String> allowed) {
        read.add(key);
        Object v = values.get(key);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof String s) || allowed != null && !allowed.contains(s)) {
            throw new PipelineProblem("step '" + step + "' option " + key + " is " + v + (allowed == null ? "; a text is expected"
                    : "; allowed " + allowed));
        }
        return s;
    }

    /** After every option was read: any other name is a mistake worth stopping for (a typo would be silently ignored). */
    void noOthers() {
        for (String key : values.keySet()) {
            if (!read.contains(key)) {
                throw new PipelineProblem("step '" + step + "' has no option '" + key + "'; its options are " + new java.util.TreeSet<>(read));
            }
        }
    }
}
