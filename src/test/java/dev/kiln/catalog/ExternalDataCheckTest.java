package dev.kiln.catalog;

import dev.kiln.runtime.ExternalDataOnnx;
import dev.kiln.runtime.TinyOnnx;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every place a tensor can carry external data, and every way a location could leave the model's directory. */
class ExternalDataCheckTest {

    @TempDir
    Path root;
    Path dir;
    Path outside;

    @BeforeEach
    void layout() throws Exception {
        dir = Files.createDirectories(root.resolve("repository/model"));
        outside = Files.writeString(root.resolve("secret.txt"), "a secret outside the repository\n");
        Files.write(dir.resolve("model.onnx.data"), new byte[64]);
    }

    private String problem(byte[] onnx) throws Exception {
        Path file = dir.resolve("model.onnx");
        Files.write(file, onnx);
        return ExternalDataCheck.problem(file);
    }

    private void refused(byte[] onnx, String why) throws Exception {
        String problem = problem(onnx);
        assertNotNull(problem, "not refused; expected: " + why);
        assertTrue(problem.contains(why), problem);
    }

    @Test
    void modelsWithoutExternalDataOrWithItBesideThemPass() throws Exception {
        assertNull(problem(TinyOnnx.doubler(-1)));
        assertNull(problem(TinyOnnx.constant(1f, 2f)));
        assertNull(problem(ExternalDataOnnx.addWeights("model.onnx.data", 3)));
        assertNull(problem(ExternalDataOnnx.initializer("model.onnx.data", 60, 4)), "offset + length = size");
        Files.createDirectories(dir.resolve("weights"));
        Files.write(dir.resolve("weights/w.bin"), new byte[12]);
        assertNull(problem(ExternalDataOnnx.addWeights("weights/w.bin", 3)));
        assertNull(problem(ExternalDataOnnx.addWeights("./weights//w.bin", 3)));
        Files.createSymbolicLink(dir.resolve("link.bin"), dir.resolve("weights/w.bin"));
        assertNull(problem(ExternalDataOnnx.addWeights("link.bin", 3)), "a link that stays inside is fine");
    }

    @Test
    void locationsThatLeaveTheDirectoryAreRefused() throws Exception {
        refused(ExternalDataOnnx.initializer(outside.toString(), 0, 8), "must be a relative path");
        refused(ExternalDataOnnx.initializer("/etc/passwd", 0, 8), "'/etc/passwd'");
        refused(ExternalDataOnnx.initializer("../../secret.txt", 0, 8), "'..' is not allowed");
        refused(ExternalDataOnnx.initializer("weights/../../../secret.txt", 0, 8), "'..' is not allowed");
        refused(ExternalDataOnnx.initializer("..", 0, 8), "'..' is not allowed");
        refused(ExternalDataOnnx.initializer("C:\\Windows\\win.ini", 0, 8), "relative path");
        refused(ExternalDataOnnx.initializer("\\\\server\\share\\x", 0, 8), "relative path");
        refused(ExternalDataOnnx.initializer("..\\..\\secret.txt", 0, 8), "relative path");
        refused(ExternalDataOnnx.initializer("model.onnx.data\0/etc/passwd", 0, 8), "NUL");
        refused(ExternalDataOnnx.initializer("", 0, 8), "empty");
        refused(ExternalDataOnnx.rawLocation(new byte[]{'a', (byte) 0xff, 'b'}, 8), "not UTF-8");
        refused(ExternalDataOnnx.initializer("x".repeat(5000), 0, 8), "longer than 4096");
    }

    @Test
    void linksOutDirectoriesAndMissingFilesAreRefused() throws Exception {
        Files.createSymbolicLink(dir.resolve("out.bin"), outside);
        refused(ExternalDataOnnx.initializer("out.bin", 0, 8), "outside the model's directory");
        Files.createSymbolicLink(dir.resolve("up"), root);
        refused(ExternalDataOnnx.initializer("up/secret.txt", 0, 8), "outside the model's directory");
        Files.createDirectories(dir.resolve("a-directory"));
        refused(ExternalDataOnnx.initializer("a-directory", 0, 8), "not a regular file");
        refused(ExternalDataOnnx.initializer("missing.bin", 0, 8), "does not exist");
        Files.createSymbolicLink(dir.resolve("dangling.bin"), dir.resolve("gone.bin"));
        refused(ExternalDataOnnx.initializer("dangling.bin", 0, 8), "does not exist");
    }

    @Test
    void onnxRuntimesMemoryAddressMarkerIsRefusedEvenAsAFile() throws Exception {
        Path marker = Files.createDirectories(dir.resolve("*/_ORT_MEM_ADDR_"));
        Files.write(marker.resolve("*"), new byte[8]);
        refused(ExternalDataOnnx.initializer("*/_ORT_MEM_ADDR_/*", 4096, 8), "in-memory marker");
    }

    @Test
    void offsetAndLengthMustFitTheFile() throws Exception {
        refused(ExternalDataOnnx.initializer("model.onnx.data", 60, 8), "past the end of that 64-byte file");
        refused(ExternalDataOnnx.initializer("model.onnx.data", 65, 0), "past the end");
        refused(ExternalDataOnnx.initializer("model.onnx.data", 0, 65), "past the end");
    }

    @Test
    void everyPlaceATensorCanSitIsLookedAt() throws Exception {
        String out = outside.toString();
        refused(ExternalDataOnnx.sparseInitializer(out, 8), "relative path");
        refused(ExternalDataOnnx.constantNode(out, 8), "relative path");
        refused(ExternalDataOnnx.inSubgraph(out, 8), "relative path");
        refused(ExternalDataOnnx.sparseAttribute(out, 8), "relative path");
        refused(ExternalDataOnnx.tensorsAttribute(out, 8), "relative path");
        refused(ExternalDataOnnx.graphsAttribute(out, 8), "relative path");
        refused(ExternalDataOnnx.inFunction(out, 8), "relative path");
        refused(ExternalDataOnnx.nested(10, out), "relative path");
        refused(ExternalDataOnnx.nested(40, "model.onnx.data"), "nests subgraphs more than 32 deep");
        assertNull(problem(ExternalDataOnnx.nested(10, "model.onnx.data")));
    }

    @Test
    void everyLocationOfATensorCountsAndOneIsNeeded() throws Exception {
        refused(ExternalDataOnnx.twoLocations("model.onnx.data", outside.toString(), 8), "relative path");
        refused(ExternalDataOnnx.twoLocations(outside.toString(), "model.onnx.data", 8), "relative path");
        refused(ExternalDataOnnx.withoutLocation(8), "without a location");
    }

    /**
     * Protobuf skips an unknown field of the deprecated group wire type, and so does ONNX Runtime:
     * a reader that gave up on one would wave through whatever follows it.
     */
    @Test
    void anUnknownGroupFieldDoesNotHideWhatFollows() throws Exception {
        byte[] group = {(byte) 0xa3, 0x06, 0x08, 0x05, (byte) 0xa4, 0x06};   // field 100: start group, field 1 = 5, end group
        byte[] hostile = ExternalDataOnnx.initializer(outside.toString(), 0, 8);
        refused(concat(group, hostile), "relative path");
        ai.onnxruntime.OrtEnvironment env = ai.onnxruntime.OrtEnvironment.getEnvironment();
        try (ai.onnxruntime.OrtSession.SessionOptions options = new ai.onnxruntime.OrtSession.SessionOptions();
             ai.onnxruntime.OrtSession session = env.createSession(concat(group, TinyOnnx.doubler(2)), options)) {
            assertTrue(session.getInputNames().contains("X"), "ONNX Runtime reads past the group");
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** A file protobuf cannot parse passes here: ONNX Runtime refuses it with its own reason. */
    @Test
    void aMalformedFileIsLeftToOnnxRuntime() throws Exception {
        byte[] model = ExternalDataOnnx.initializer(outside.toString(), 0, 8);
        assertNull(problem(Arrays.copyOf(model, model.length - 5)));
        assertNull(problem("not a model at all".getBytes()));
    }
}
