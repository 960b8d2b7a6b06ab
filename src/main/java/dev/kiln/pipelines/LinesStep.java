package dev.kiln.pipelines;

import dev.kiln.ocr.CtcDecoder;
import dev.kiln.ocr.FloatTensor;
import dev.kiln.ocr.LineReader;
import dev.kiln.ocr.OcrLine;
import dev.kiln.ocr.OcrSettings;
import dev.kiln.runtime.Datatype;
import dev.kiln.runtime.OnnxFileSignature;
import dev.kiln.runtime.TensorSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * {@code ocr.lines}: from the image and its boxes to the text of each line, in the boxes' order: crop
 * and straighten each box, turn the lines the {@code classifier} model reads as upside down (and read
 * those it is unsure of both ways), read every line with the {@code recognizer} model and decode its
 * output with the dictionary beside it (greedy CTC). One step and not four because the crops are
 * ragged (every line its own width): they never exist as one tensor, and recognition takes them
 * sorted by width, in batches of {@code recognizer_batch}, all of an image's batches as one unit of
 * work in the recogniser's queue. Its models run through the inference core like any other step's.
 * Lines read with less than {@code drop_score} are left out.
 */
final class LinesStep implements BuiltinStep {

    static final String CLASSIFIER = "classifier";
    static final String RECOGNIZER = "recognizer";
    private static final Map<String, Port> INPUTS = BoxesStep.ports("pixels", new Port("UINT8", new long[]{-1, -1, 3}),
            "boxes", new Port("FP32", new long[]{-1, 4, 2}));
    private static final Map<String, Port> OUTPUTS = outputPorts();

    private final String classifier;
    private final String classifierInput;
    private final String recognizer;
    private final String recognizerInput;
    private final OcrSettings settings;
    private final CtcDecoder dictionary;

    LinesStep(BuiltinSteps.Setup setup) {
        StepOptions o = setup.options();
        String file = o.text("dictionary", "ppocr_keys_v1.txt", null);
        float threshold = (float) o.number("classifier_threshold", 0.9, 0, 1);
        float drop = (float) o.number("drop_score", 0.5, 0, 1);
        int clsBatch = o.integer("classifier_batch", 16, 1, 1024);
        int recBatch = o.integer("recognizer_batch", 1, 1, 1024);
        o.noOthers();
        this.settings = OcrSettings.defaults().withReading(threshold, drop).withBatches(clsBatch, recBatch);
        BuiltinSteps.Role rec = setup.models().get(RECOGNIZER);
        BuiltinSteps.Role cls = setup.models().get(CLASSIFIER);
        this.recognizer = rec.model();
        this.recognizerInput = imageInput(setup.step(), RECOGNIZER, rec, 3);
        this.classifier = cls == null ? null : cls.model();
        this.classifierInput = cls == null ? null : imageInput(setup.step(), CLASSIFIER, cls, 2);
        if (cls != null && cls.signature().outputs().get(0).shape()[1] > 0 && cls.signature().outputs().get(0).shape()[1] != 2) {
            throw new PipelineProblem("step '" + setup.step() + "': the classifier '" + cls.model() + "' answers "
                    + cls.signature().outputs().get(0).shape()[1] + " classes; an orientation classifier answers 2 (0 and 180 degrees)");
        }
        this.dictionary = dictionary(setup.step(), rec, file);
    }

    private static Map<String, Port> outputPorts() {
        Map<String, Port> m = new LinkedHashMap<>();
        m.put("text", new Port("BYTES", new long[]{-1}));
        m.put("boxes", new Port("FP32", new long[]{-1, 4, 2}));
        m.put("scores", new Port("FP32", new long[]{-1}));
        return m;
    }

    /** The model's one input, an FP32 image batch [n, 3, h, w], with one FP32 output of {@code outputRank} dimensions. */
    private static String imageInput(String step, String role, BuiltinSteps.Role model, int outputRank) {
        OnnxFileSignature.Signature s = model.signature();
        if (s.inputs().size() != 1 || !fp32(s.inputs().get(0), 4) || s.outputs().size() != 1 || !fp32(s.outputs().get(0), outputRank)) {
            throw new PipelineProblem("step '" + step + "': the " + role + " '" + model.model() + "' must take one FP32 image batch"
                    + " [n, 3, h, w] and answer one FP32 tensor of rank " + outputRank + "; it takes " + describe(s.inputs())
                    + " and answers " + describe(s.outputs()));
        }
        return s.inputs().get(0).name();
    }

    private static boolean fp32(TensorSpec t, int rank) {
        return "FP32".equals(t.datatype()) && t.shape().length == rank;
    }

    private static String describe(List<TensorSpec> specs) {
        return specs.stream().map(t -> t.name() + " " + t.datatype() + java.util.Arrays.toString(t.shape())).toList().toString();
    }

    /** The dictionary file beside the recogniser, with as many characters as the recogniser has classes (less blank and space). */
    private static CtcDecoder dictionary(String step, BuiltinSteps.Role rec, String file) {
        Path dir = rec.entry().directory();
        Path path = dir.resolve(file).normalize();
        if (file.isEmpty() || file.contains("/") || file.contains("\\") || !path.startsWith(dir) || !Files.isRegularFile(path)) {
            throw new PipelineProblem("step '" + step + "': the dictionary '" + file + "' is not a file beside the recognizer '"
                    + rec.model() + "'");
        }
        CtcDecoder decoder;
        try {
            if (Files.size(path) > 4 << 20) {
                throw new PipelineProblem("step '" + step + "': the dictionary '" + file + "' is larger than 4 MiB");
            }
            decoder = CtcDecoder.fromFile(path);
        } catch (IOException e) {
            throw new PipelineProblem("step '" + step + "': the dictionary '" + file + "' cannot be read: " + e.getMessage());
        }
        long classes = rec.signature().outputs().get(0).shape()[2];
        if (classes > 0 && classes != decoder.classCount()) {
            throw new PipelineProblem("step '" + step + "': the recognizer '" + rec.model() + "' answers " + classes
                    + " classes, but the dictionary '" + file + "' makes " + decoder.classCount() + " (its lines, a blank and a space)");
        }
        return decoder;
    }

    @Override
    public Map<String, Port> inputs() {
        return INPUTS;
    }

    @Override
    public Map<String, Port> outputs() {
        return OUTPUTS;
    }

    @Override
    public CompletableFuture<Map<String, Tensor>> run(Map<String, Tensor> in, StepContext context) {
        LineReader reader = new LineReader(context.models(), classifier, classifierInput, recognizer, recognizerInput, settings, dictionary);
        return reader.read(ImageDecodeStep.image(in.get("pixels")), BoxesStep.read(in.get("boxes"))).thenApply(r -> answer(r.lines()));
    }

    private static Map<String, Tensor> answer(List<OcrLine> lines) {
        int n = lines.size();
        FloatTensor boxes = FloatTensor.allocate(n, 4, 2);
        FloatTensor scores = FloatTensor.allocate(n);
        String[] text = new String[n];
        for (int i = 0; i < n; i++) {
            OcrLine l = lines.get(i);
            text[i] = l.text();
            scores.put(i, l.score());
            for (int k = 0; k < 8; k++) {
                boxes.put(8 * i + k, l.box()[k]);
            }
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("text", Tensor.strings(new long[]{n}, List.of(text)));
        out.put("boxes", Tensor.numbers(Datatype.FP32, boxes.shape(), boxes.nativeBytes(), null));
        out.put("scores", Tensor.numbers(Datatype.FP32, scores.shape(), scores.nativeBytes(), null));
        return out;
    }

    @Override
    public long rows(Map<String, Tensor> in, Map<String, Tensor> out) {
        return in.get("boxes").rows();
    }
}
