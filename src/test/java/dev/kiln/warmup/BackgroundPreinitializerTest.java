package dev.kiln.warmup;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.kiln.catalog.ModelManifest;
import dev.kiln.files.BoundedYaml;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** The sample the preinitializer parses stays a valid manifest as the manifest grows, and priming changes no reading. */
class BackgroundPreinitializerTest {

    @Test
    void theSampleManifestIsAValidManifestWithItsNestedParts() throws Exception {
        ObjectMapper strict = new ObjectMapper(new YAMLFactory())
                .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        ModelManifest sample = strict.readValue(BackgroundPreinitializer.SAMPLE_MANIFEST, ModelManifest.class);
        assertEquals("warm-up", sample.name());
        assertEquals(List.of(1L, 4L), sample.warmup().shapes().get("x"));
        assertEquals(1, sample.execution().intraOpThreads());
        assertEquals(List.of(2, 4), sample.batching().preferredBatchSizes());
        assertEquals(List.of(4L, 8L), sample.inputLimits().get("x"));
        BoundedYaml.prime(ModelManifest.class, BackgroundPreinitializer.SAMPLE_MANIFEST);
    }

    @Test
    void aFileReadAfterPrimingReadsAsBefore(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        BoundedYaml.prime(ModelManifest.class, BackgroundPreinitializer.SAMPLE_MANIFEST);
        Path file = dir.resolve("model.yaml");
        Files.writeString(file, "name: other\ncategory: vision\nlazy_load: false\n");
        ModelManifest read = new BoundedYaml().read(file, ModelManifest.class);
        assertNotNull(read);
        assertEquals("other", read.name());
        assertEquals("vision", read.category());
        assertEquals(Boolean.FALSE, read.lazyLoad());
        Files.writeString(file, "name: other\nno_such_field: 1\n");
        org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class, () -> new BoundedYaml().read(file, ModelManifest.class),
                "unknown fields are still refused after priming");
    }

    /**
     * A library that cannot load leaves the engine's first use to say why: loading it through
     * OrtEnvironment's initialiser left only "Could not initialize class" for every model and for health.
     */
    @Test
    void aLibraryThatCannotLoadIsReportedByItsFirstUser(@org.junit.jupiter.api.io.TempDir Path empty) throws Exception {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process probe = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"),
                "-Donnxruntime.native.path=" + empty, OnnxRuntimeLoadProbe.class.getName())
                .redirectErrorStream(true).start();
        String told = new String(probe.getInputStream().readAllBytes());
        assertTrue(probe.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
        assertFalse(told.contains("Could not initialize class"), told);
        assertTrue(told.contains("Failed to load onnx-runtime library"), told);
    }

    @Test
    void aLibraryThatLoadsServesTheEngine() throws Exception {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process probe = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"), OnnxRuntimeLoadProbe.class.getName())
                .redirectErrorStream(true).start();
        String told = new String(probe.getInputStream().readAllBytes());
        assertTrue(probe.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
        assertTrue(told.contains("loaded"), told);
    }
}
