package dev.kiln.pipelines;

import dev.kiln.ocr.DetInput;
import dev.kiln.ocr.DetPreprocess;
import dev.kiln.runtime.Datatype;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * {@code ocr.detect_input}: pixels to the PP-OCR detector's input, FP32 [1, 3, h, w]: resized so the
 * side {@code limit_type} names respects {@code limit_side_len} (PaddleOCR's 960, max), both sides
 * rounded to multiples of 32, normalised with ImageNet's mean and deviation, channels BGR.
 */
final class DetectInputStep implements BuiltinStep {

    private final DetPreprocess preprocess;

    DetectInputStep(BuiltinSteps.Setup setup) {
        StepOptions o = setup.options();
        int side = o.integer("limit_side_len", 960, 32, 8192);
        String type = o.text("limit_type", "max", Set.of("max", "min"));
        o.noOthers();
        this.preprocess = new DetPreprocess(side, "min".equals(type) ? DetPreprocess.LimitType.MIN : DetPreprocess.LimitType.MAX);
    }

    @Override
    public Map<String, Port> inputs() {
        return Map.of("pixels", new Port("UINT8", new long[]{-1, -1, 3}));
    }

    @Override
    public Map<String, Port> outputs() {
        return Map.of("x", new Port("FP32", new long[]{1, 3, -1, -1}));
    }

    @Override
    public CompletableFuture<Map<String, Tensor>> run(Map<String, Tensor> in, StepContext context) {
        DetInput input = preprocess.prepare(ImageDecodeStep.image(in.get("pixels")));
        Tensor x = Tensor.numbers(Datatype.FP32, input.tensor().shape(), input.tensor().nativeBytes(), input);
        return CompletableFuture.completedFuture(Map.of("x", x));
    }
}
