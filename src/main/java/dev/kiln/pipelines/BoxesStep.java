package dev.kiln.pipelines;

import dev.kiln.ocr.DbPostProcess;
import dev.kiln.ocr.DetInput;
import dev.kiln.ocr.FloatTensor;
import dev.kiln.ocr.ReadingOrder;
import dev.kiln.ocr.TextBox;
import dev.kiln.runtime.Datatype;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * {@code ocr.boxes}: the detector's probability map to text boxes in image pixels, in reading order
 * (PaddleOCR's DBPostProcess and sorted_boxes): boxes FP32 [n, 4, 2], corners clockwise from the top
 * left, and the detector's confidence in each, FP32 [n]. The image's pixels are read for their size.
 */
final class BoxesStep implements BuiltinStep {

    private static final Map<String, Port> INPUTS = ports("map", new Port("FP32", new long[]{1, 1, -1, -1}),
            "pixels", new Port("UINT8", new long[]{-1, -1, 3}));
    private static final Map<String, Port> OUTPUTS = ports("boxes", new Port("FP32", new long[]{-1, 4, 2}),
            "scores", new Port("FP32", new long[]{-1}));

    private final DbPostProcess post;
    private final float lineTolerance;

    BoxesStep(BuiltinSteps.Setup setup) {
        StepOptions o = setup.options();
        this.post = new DbPostProcess((float) o.number("threshold", 0.3, 0, 1), (float) o.number("box_threshold", 0.5, 0, 1),
                (float) o.number("unclip_ratio", 1.6, 0, 10), o.integer("min_size", 3, 1, 1000),
                o.integer("max_candidates", 1000, 1, 100_000), o.flag("dilate", true));
        this.lineTolerance = (float) o.number("line_tolerance", 10, 0, 10_000);
        o.noOthers();
    }

    static Map<String, Port> ports(String a, Port pa, String b, Port pb) {
        Map<String, Port> m = new LinkedHashMap<>();
        m.put(a, pa);
        m.put(b, pb);
        return m;
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
        Tensor map = in.get("map");
        long[] image = in.get("pixels").shape();
        FloatTensor probabilities = FloatTensor.over(map.shape(), map.values());
        List<TextBox> found = ReadingOrder.sort(post.boxes(probabilities, new DetInput(probabilities, (int) image[1], (int) image[0])),
                lineTolerance);
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("boxes", boxes(found));
        out.put("scores", scores(found));
        return CompletableFuture.completedFuture(out);
    }

    /** FP32 [n, 4, 2]; the boxes themselves ride along for the step that reads them next. */
    static Tensor boxes(List<TextBox> found) {
        FloatTensor t = FloatTensor.allocate(found.size(), 4, 2);
        for (int i = 0; i < found.size(); i++) {
            float[] xy = found.get(i).xy();
            for (int k = 0; k < 8; k++) {
                t.put(8 * i + k, xy[k]);
            }
        }
        return Tensor.numbers(Datatype.FP32, t.shape(), t.nativeBytes(), found);
    }

    private static Tensor scores(List<TextBox> found) {
        FloatTensor t = FloatTensor.allocate(found.size());
        for (int i = 0; i < found.size(); i++) {
            t.put(i, found.get(i).score());
        }
        return Tensor.numbers(Datatype.FP32, t.shape(), t.nativeBytes(), null);
    }

    /** The boxes a step reads: as found when this step made them, else from the tensor (without scores). */
    @SuppressWarnings("unchecked")
    static List<TextBox> read(Tensor boxes) {
        if (boxes.decoded() instanceof List<?> list) {
            return (List<TextBox>) list;
        }
        ByteBuffer b = boxes.values().duplicate().order(java.nio.ByteOrder.nativeOrder()).rewind();
        java.nio.FloatBuffer f = b.asFloatBuffer();
        int n = (int) boxes.rows();
        List<TextBox> out = new java.util.ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            float[] xy = new float[8];
            f.get(8 * i, xy);
            out.add(new TextBox(xy, 0f));
        }
        return out;
    }
}
