package dev.kiln.pipelines;

import dev.kiln.catalog.ModelEntry;
import dev.kiln.runtime.OnnxFileSignature;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The built-in steps a pipeline.yaml may name, and how each is set up: the models it may call (by
 * role), and a factory that reads its options and checks its models, throwing {@link PipelineProblem}
 * when they do not fit. Adding a built-in is adding a line here.
 */
final class BuiltinSteps {

    /** A model a built-in calls, as the pipeline names it for one of the step's roles. */
    record Role(String model, ModelEntry entry, OnnxFileSignature.Signature signature) {
    }

    /** Everything a built-in is set up from. */
    record Setup(String step, StepOptions options, Map<String, Role> models, long maxPixels) {
    }

    /** A built-in: the roles of the models it may call ({@code required} among them), and its factory. */
    record Kind(String name, Set<String> roles, Set<String> required, Function<Setup, BuiltinStep> factory) {
    }

    private static final Map<String, Kind> KINDS = new TreeMap<>(Map.of(
            "image.decode", new Kind("image.decode", Set.of(), Set.of(), ImageDecodeStep::new),
            "ocr.detect_input", new Kind("ocr.detect_input", Set.of(), Set.of(), DetectInputStep::new),
            "ocr.boxes", new Kind("ocr.boxes", Set.of(), Set.of(), BoxesStep::new),
            "ocr.lines", new Kind("ocr.lines", Set.of(LinesStep.CLASSIFIER, LinesStep.RECOGNIZER), Set.of(LinesStep.RECOGNIZER),
                    LinesStep::new)));

    private BuiltinSteps() {
    }

    static Kind kind(String step, String name) {
        Kind k = KINDS.get(name);
        if (k == null) {
            throw new PipelineProblem("step '" + step + "' names the built-in '" + name + "', which Kiln does not have; built-ins are "
                    + KINDS.keySet());
        }
        return k;
    }

    static Set<String> names() {
        return KINDS.keySet();
    }
}
