package dev.kiln.pipelines;

import dev.kiln.catalog.ModelEntry;
import dev.kiln.catalog.ModelManifest;
import dev.kiln.runtime.OnnxFileSignature;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * pipeline.yaml checked against the demo repository's real model files and the built-ins: the demo
 * ppocr plans, and each kind of mistake is FAILED with a reason that names it.
 */
class PipelineCheckTest {

    static final Path DEMO = Path.of("target/demo-models");
    static final String PPOCR = read(DEMO.resolve("ppocr/pipeline.yaml"));

    @TempDir
    Path repo;

    /** The demo repository's models, as the registry would list them. */
    static final PipelineCheck.Models MODELS = new PipelineCheck.Models() {
        @Override
        public Optional<ModelEntry> entry(String name) {
            Path dir = DEMO.resolve(name);
            return Files.isRegularFile(dir.resolve("model.onnx"))
                    ? Optional.of(new ModelEntry(name, dir.toAbsolutePath(), ModelManifest.defaults(name), 1, 1, null)) : Optional.empty();
        }

        @Override
        public OnnxFileSignature.Signature signature(ModelEntry entry) throws IOException {
            return OnnxFileSignature.read(entry.modelFile());
        }
    };

    private PipelinePlan plan(String yaml) throws IOException {
        Files.createDirectories(repo.resolve("p"));
        Files.writeString(repo.resolve("p/pipeline.yaml"), yaml);
        return PipelineCheck.plan("p", new PipelineFiles(repo).read("p"), MODELS, 20_000_000);
    }

    private String problem(String yaml) {
        return assertThrows(PipelineProblem.class, () -> plan(yaml)).getMessage();
    }

    private static String ppocr() {
        return PPOCR.replace("name: ppocr\n", "");
    }

    @Test
    void theDemoPipelinePlansItsStepsInOrderWithItsThreeModels() throws IOException {
        PipelinePlan plan = plan(ppocr());
        assertEquals(List.of("decode", "det_input", "det", "boxes", "lines"), plan.steps().stream().map(PipelinePlan.Step::name).toList());
        assertEquals(List.of("ppocr-v4-det", "ppocr-cls", "ppocr-v4-rec"), plan.models());
        assertEquals(List.of("image"), plan.inputs().stream().map(t -> t.name()).toList());
        assertEquals(List.of("text", "boxes", "scores"), plan.outputs().stream().map(t -> t.name()).toList());
    }

    @Test
    void stepsAreRunInTheOrderTheirTensorsAllowWhateverOrderTheFileGivesThem() throws IOException {
        String lines = ppocr().substring(ppocr().indexOf("  - name: lines"));
        String reordered = ppocr().replace(lines, "").replace("steps:\n", "steps:\n" + lines);
        PipelinePlan plan = plan(reordered);
        assertEquals(List.of("decode", "det_input", "det", "boxes", "lines"), plan.steps().stream().map(PipelinePlan.Step::name).toList());
    }

    @Test
    void aStepNamingAMissingModelFails() {
        String why = problem(ppocr().replace("model: ppocr-v4-det", "model: ppocr-v5-det"));
        assertEquals("step 'det' names the model 'ppocr-v5-det', which is not in the repository", why);
        assertTrue(problem(ppocr().replace("recognizer: ppocr-v4-rec", "recognizer: nope")).contains("'nope', which is not in the repository"));
    }

    @Test
    void anUnknownBuiltinFailsListingTheBuiltins() {
        String why = problem(ppocr().replace("builtin: ocr.boxes", "builtin: ocr.boxen"));
        assertTrue(why.startsWith("step 'boxes' names the built-in 'ocr.boxen', which Kiln does not have"), why);
        assertTrue(why.contains("ocr.lines"), why);
    }

    @Test
    void aDatatypeMismatchBetweenWriterAndReaderFails() {
        // The detector's map (FP32) wired where image.decode reads the file's bytes (UINT8).
        String why = problem(ppocr().replace("inputs: {image: image}", "inputs: {image: text_map}"));
        assertTrue(why.contains("step 'decode' input 'image' reads the tensor 'text_map' from step 'det': FP32 where UINT8 is read"), why);
    }

    @Test
    void aShapeMismatchFails() {
        String why = problem(ppocr().replace("shape: [-1, 4, 2]", "shape: [-1, 8]"));
        assertTrue(why.contains("the pipeline's output 'boxes' reads the tensor 'boxes' from step 'lines': rank 3"), why);
        String fixed = problem(ppocr().replace("shape: [-1, 4, 2]", "shape: [-1, 4, 3]"));
        assertTrue(fixed.contains("(dimension 2)"), fixed);
    }

    @Test
    void stepsRunAfterWhatTheyReadWhereverTheFileListsThem() {
        String yaml = """
                inputs: [{name: image, datatype: UINT8, shape: [-1]}]
                outputs: [{name: out, datatype: FP32, shape: [-1, 4, 2]}]
                steps:
                  - name: a
                    builtin: ocr.boxes
                    inputs: {map: m, pixels: p}
                    outputs: {boxes: out}
                  - name: b
                    builtin: image.decode
                    inputs: {image: image}
                    outputs: {pixels: p}
                  - name: c
                    builtin: ocr.detect_input
                    inputs: {pixels: p}
                    outputs: {x: x}
                  - name: d
                    model: ppocr-v4-det
                    inputs: {x: x}
                    outputs: {"sigmoid_0.tmp_0": m}
                """;
        assertEquals(List.of("b", "c", "d", "a"), assertPlans(yaml));
    }

    private List<String> assertPlans(String yaml) {
        try {
            return plan(yaml).steps().stream().map(PipelinePlan.Step::name).toList();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void twoStepsFeedingEachOtherAreACycle() {
        String yaml = """
                inputs: [{name: image, datatype: UINT8, shape: [-1]}]
                outputs: [{name: x, datatype: FP32, shape: [1, 3, -1, -1]}]
                steps:
                  - name: start
                    builtin: ocr.detect_input
                    inputs: {pixels: p}
                    outputs: {x: x}
                  - name: a
                    builtin: ocr.boxes
                    inputs: {map: m, pixels: p}
                    outputs: {boxes: b}
                  - name: b
                    builtin: ocr.lines
                    models: {recognizer: ppocr-v4-rec}
                    inputs: {pixels: p, boxes: b}
                    outputs: {boxes: m}
                  - name: decode
                    builtin: image.decode
                    inputs: {image: image}
                    outputs: {pixels: p}
                """;
        // a reads m (written by b, FP32 [-1, 4, 2] where [1, 1, -1, -1] is read): the shapes fail first.
        String why = problem(yaml);
        assertTrue(why.contains("step 'a' input 'map' reads the tensor 'm' from step 'b'"), why);
        String loop = """
                inputs: [{name: image, datatype: UINT8, shape: [-1]}]
                outputs: [{name: t, datatype: BYTES, shape: [-1]}]
                steps:
                  - name: decode
                    builtin: image.decode
                    inputs: {image: image}
                    outputs: {pixels: p}
                  - name: a
                    builtin: ocr.lines
                    models: {recognizer: ppocr-v4-rec}
                    inputs: {pixels: p, boxes: b2}
                    outputs: {text: t, boxes: b1}
                  - name: b
                    builtin: ocr.lines
                    models: {recognizer: ppocr-v4-rec}
                    inputs: {pixels: p, boxes: b1}
                    outputs: {boxes: b2}
                """;
        assertEquals("steps [a, b] depend on each other in a cycle", problem(loop));
    }

    @Test
    void anUnconnectedInputFails() {
        String why = problem(ppocr().replace("inputs: {map: text_map, pixels: pixels}", "inputs: {map: text_map}"));
        assertEquals("step 'boxes' leaves its input 'pixels' unconnected", why);
        assertEquals("step 'det' input 'x' reads the tensor 'nothing', which no step writes and the pipeline does not take",
                problem(ppocr().replace("inputs: {x: det_x}", "inputs: {x: nothing}")));
    }

    @Test
    void aTensorWrittenTwiceAnUnreadInputAndAnUnknownPortFail() {
        assertTrue(problem(ppocr().replace("outputs: {x: det_x}", "outputs: {x: pixels}"))
                .startsWith("the tensor 'pixels' is written by step 'decode' and by step 'det_input'"));
        assertEquals("the pipeline's input 'extra' is read by no step",
                problem(ppocr().replace("inputs:\n", "inputs:\n  - {name: extra, datatype: FP32, shape: [1]}\n")));
        assertTrue(problem(ppocr().replace("inputs: {x: det_x}", "inputs: {x: det_x, y: det_x}"))
                .startsWith("step 'det' has no input 'y'; its inputs are [x]"));
    }

    @Test
    void optionsAreCheckedByNameTypeAndRange() {
        assertTrue(problem(ppocr().replace("options: {dictionary: ppocr_keys_v1.txt}", "options: {dictionary: ppocr_keys_v1.txt, drop_scor: 0.4}"))
                .startsWith("step 'lines' has no option 'drop_scor'"));
        assertEquals("step 'lines' option drop_score is 2; allowed 0.0 to 1.0",
                problem(ppocr().replace("options: {dictionary: ppocr_keys_v1.txt}", "options: {drop_score: 2}")));
        assertTrue(problem(ppocr().replace("builtin: ocr.detect_input", "builtin: ocr.detect_input\n    options: {limit_side_len: 960.5}"))
                .contains("limit_side_len is 960.5; allowed whole numbers"));
    }

    @Test
    void aBuiltinsModelsMustFitTheirRoles() {
        String why = problem(ppocr().replace("recognizer: ppocr-v4-rec", "recognizer: ppocr-v4-det"));
        assertTrue(why.startsWith("step 'lines': the recognizer 'ppocr-v4-det' must take one FP32 image batch [n, 3, h, w] and answer one"
                + " FP32 tensor of rank 3"), why);
        assertEquals("step 'lines' (ocr.lines) needs a model for 'recognizer' under 'models'",
                problem(ppocr().replace("models: {classifier: ppocr-cls, recognizer: ppocr-v4-rec}", "models: {classifier: ppocr-cls}")));
        assertTrue(problem(ppocr().replace("classifier: ppocr-cls", "detector: ppocr-cls")).contains("calls no model as 'detector'"));
    }

    @Test
    void theDictionaryMustBeBesideTheRecognizerAndMatchItsClasses() {
        assertTrue(problem(ppocr().replace("dictionary: ppocr_keys_v1.txt", "dictionary: ../ppocr-cls/model.yaml"))
                .contains("is not a file beside the recognizer 'ppocr-v4-rec'"));
        String why = problem(ppocr().replace("dictionary: ppocr_keys_v1.txt", "dictionary: model.yaml"));
        assertTrue(why.contains("the recognizer 'ppocr-v4-rec' answers 6625 classes, but the dictionary 'model.yaml' makes"), why);
    }

    @Test
    void aFileThatIsNotAPipelineFailsWithWhatIsWrong() {
        assertTrue(problem("steps: [{name: a, model: ppocr-cls, colour: red}]").startsWith("pipeline.yaml is not valid: Unrecognized field \"colour\""));
        assertEquals("pipeline.yaml declares no inputs", problem("steps: []"));
        assertEquals("pipeline.yaml names 'q' but the directory is 'p'", problem(PPOCR.replace("name: ppocr", "name: q")));
        assertEquals("pipeline.yaml outputs 'text': unknown datatype 'STRING'", problem(ppocr().replace("datatype: BYTES", "datatype: STRING")));
        assertEquals("step 'det' must name either a model or a builtin", problem(ppocr().replace("model: ppocr-v4-det", "model: ppocr-v4-det\n    builtin: ocr.boxes")));
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
