package dev.kiln.runtime;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.kiln.testing.TestRepository;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** What the file declares is exactly what ONNX Runtime reports once the model is open. */
class OnnxFileSignatureTest {

    @TempDir
    Path dir;

    @Test
    void demoModelsMatchOnnxRuntime() throws Exception {
        for (String name : List.of("all-minilm-l6-v2", "all-minilm-l6-v2-q", "ppocr-cls", "ppocr-v4-det", "ppocr-v4-rec")) {
            assertMatches(TestRepository.ROOT.resolve(name).resolve("model.onnx"));
        }
    }

    @Test
    void everyDatatypeAndDynamicDimensionMatchesOnnxRuntime() throws Exception {
        int[] types = {TinyOnnx.FLOAT, TinyOnnx.UINT8, TinyOnnx.INT8, TinyOnnx.INT16, TinyOnnx.INT32, TinyOnnx.INT64,
                TinyOnnx.STRING, TinyOnnx.BOOL, TinyOnnx.FLOAT16, TinyOnnx.DOUBLE};
        for (int t : types) {
            Path f = dir.resolve("identity-" + t + ".onnx");
            Files.write(f, TinyOnnx.identity(t, -1, 3, 2));
            assertMatches(f);
        }
        Path scalar = dir.resolve("scalar.onnx");
        Files.write(scalar, TinyOnnx.doubler());
        assertMatches(scalar);
    }

    @Test
    void aBrokenFileIsAnErrorNotAHang() throws Exception {
        Path junk = Files.writeString(dir.resolve("junk.onnx"), "this is not an onnx model");
        assertThrows(IOException.class, () -> OnnxFileSignature.read(junk));
        byte[] real = Files.readAllBytes(TestRepository.ROOT.resolve("ppocr-cls/model.onnx"));
        Path cut = Files.write(dir.resolve("cut.onnx"), Arrays.copyOf(real, real.length / 2));
        assertThrows(IOException.class, () -> OnnxFileSignature.read(cut));
        Path empty = Files.write(dir.resolve("empty.onnx"), new byte[0]);
        assertThrows(IOException.class, () -> OnnxFileSignature.read(empty));
    }

    private static void assertMatches(Path model) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions();
             OrtSession session = env.createSession(model.toString(), o)) {
            OnnxFileSignature.Signature read = OnnxFileSignature.read(model);
            assertEquals(describe(TensorSpecs.of(session.getInputInfo())), describe(read.inputs()), model + " inputs");
            assertEquals(describe(TensorSpecs.of(session.getOutputInfo())), describe(read.outputs()), model + " outputs");
        }
    }

    private static List<String> describe(List<TensorSpec> specs) {
        return specs.stream().map(s -> s.name() + " " + s.datatype() + " " + Arrays.toString(s.shape())).sorted().toList();
    }
}
