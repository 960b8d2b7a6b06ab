package dev.kiln.pipelines;

import dev.kiln.errors.KilnError;
import dev.kiln.inference.InferenceCall;
import dev.kiln.inference.InflightBytes;
import dev.kiln.inference.ModelInputs;
import dev.kiln.inference.ModelSignature;
import dev.kiln.pipelines.OcrRecords.Line;
import dev.kiln.pipelines.OcrRecords.OcrAnswer;
import dev.kiln.runtime.Datatype;
import dev.kiln.runtime.OutputTensor;
import dev.kiln.runtime.TensorBuffer;
import dev.kiln.runtime.TensorSpec;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

/**
 * An image file as a call to a pipeline that reads images into lines: one input {@code image}
 * (UINT8, the file's bytes) and the outputs {@code text}, {@code boxes} and {@code scores}; the
 * answer is /v1/ocr's JSON.
 */
final class OcrCall implements InferenceCall<OcrAnswer> {

    static final String IMAGE = "image";
    private static final Map<String, String> OUTPUTS = Map.of("text", "BYTES", "boxes", "FP32", "scores", "FP32");

    private final String pipeline;
    private final InflightBytes.Reservation held;
    private final BooleanSupplier gone;
    private final long arrived;
    private byte[] file;

    /** {@code held}: the body's bytes in inference's budget, given back once the file is handed over (null for none). */
    OcrCall(String pipeline, byte[] file, InflightBytes.Reservation held, BooleanSupplier gone, long arrived) {
        this.pipeline = pipeline;
        this.file = file;
        this.held = held;
        this.gone = gone;
        this.arrived = arrived;
    }

    @Override
    public ModelInputs decode(ModelSignature signature) {
        try {
            readsImages(signature);
            ByteBuffer bytes = TensorBuffer.allocate(Datatype.UINT8, file.length).put(file).flip();
            return new ModelInputs(List.of(TensorBuffer.ofNative(IMAGE, Datatype.UINT8, new long[]{file.length}, bytes)), OUTPUTS.keySet());
        } finally {
            file = null;
            if (held != null) {
                held.close();
            }
        }
    }

    private void readsImages(ModelSignature s) {
        boolean image = s.inputs().size() == 1 && s.inputs().get(0).name().equals(IMAGE) && "UINT8".equals(s.inputs().get(0).datatype());
        Set<String> answers = s.outputs().stream().filter(o -> OUTPUTS.get(o.name()) != null && OUTPUTS.get(o.name()).equals(o.datatype()))
                .map(TensorSpec::name).collect(Collectors.toSet());
        if (!image || !answers.equals(OUTPUTS.keySet())) {
            throw KilnError.invalid("the pipeline '" + pipeline + "' does not read an image into lines: /v1/ocr needs one that takes"
                    + " 'image' (UINT8, the file's bytes) and answers 'text' (BYTES), 'boxes' and 'scores' (FP32)");
        }
    }

    @Override
    public boolean abandoned() {
        return gone.getAsBoolean();
    }

    @Override
    public OcrAnswer encode(List<OutputTensor> outputs) {
        List<String> text = byName(outputs, "text").strings();
        FloatBuffer boxes = byName(outputs, "boxes").nativeOrder().asFloatBuffer();
        FloatBuffer scores = byName(outputs, "scores").nativeOrder().asFloatBuffer();
        List<Line> lines = new ArrayList<>(text.size());
        for (int i = 0; i < text.size(); i++) {
            float[][] box = new float[4][2];
            for (int k = 0; k < 4; k++) {
                box[k][0] = boxes.get(8 * i + 2 * k);
                box[k][1] = boxes.get(8 * i + 2 * k + 1);
            }
            lines.add(new Line(text.get(i), Math.round(scores.get(i) * 10000) / 10000.0, box));
        }
        return new OcrAnswer(lines, pipeline, Math.round((System.nanoTime() - arrived) / 1e4) / 100.0);
    }

    private static OutputTensor byName(List<OutputTensor> outputs, String name) {
        return outputs.stream().filter(o -> o.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalStateException("the pipeline answered no '" + name + "'"));
    }
}
