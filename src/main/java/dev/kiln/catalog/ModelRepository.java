package dev.kiln.catalog;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.kiln.config.AiModelsConfig;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The model repository on disk: the source of truth. One directory per model holding
 * {@code model.onnx} and an optional {@code model.yaml}; nothing here keeps state in memory.
 */
@ApplicationScoped
public class ModelRepository {

    private static final Logger LOG = Logger.getLogger(ModelRepository.class);

    private final Path root;
    private final ObjectMapper yaml = new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES))
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    public ModelRepository(AiModelsConfig config) {
        this.root = Path.of(config.repository()).toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    /** Every model directory, in name order. Directories that are not models are skipped. */
    public List<ModelEntry> scan() {
        if (!Files.isDirectory(root)) {
            LOG.warnf("model repository %s does not exist or is not a directory", root);
            return List.of();
        }
        List<ModelEntry> entries = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(root)) {
            for (Path dir : dirs.sorted().toList()) {
                String name = dir.getFileName().toString();
                if (!Files.isDirectory(dir) || name.startsWith(".")) {
                    continue;
                }
                if (!ModelName.isValid(name)) {
                    LOG.warnf("skipping directory %s: not a valid model name", dir);
                    continue;
                }
                if (Files.isRegularFile(dir.resolve(ModelEntry.MODEL_FILE))) {
                    entries.add(read(dir));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list model repository " + root, e);
        }
        return entries;
    }

    /** The model of that name, when its directory holds a {@code model.onnx}. */
    public Optional<ModelEntry> find(String name) {
        Path dir = directoryOf(name);
        return Files.isRegularFile(dir.resolve(ModelEntry.MODEL_FILE)) ? Optional.of(read(dir)) : Optional.empty();
    }

    public Path directoryOf(String name) {
        return root.resolve(ModelName.require(name));
    }

    /** Replaces the manifest atomically: readers see the old one or the new one, never half. */
    public void writeManifest(String name, ModelManifest manifest) {
        try {
            AtomicFiles.write(directoryOf(name).resolve(ModelEntry.MANIFEST_FILE), toYaml(manifest));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write manifest of " + name, e);
        }
    }

    public byte[] toYaml(ModelManifest manifest) throws JsonProcessingException {
        return yaml.writeValueAsBytes(manifest);
    }

    private ModelEntry read(Path dir) {
        String name = dir.getFileName().toString();
        long[] measured = measure(dir);
        long size = measured[0];
        long modified = measured[1];
        Path manifestFile = dir.resolve(ModelEntry.MANIFEST_FILE);
        if (!Files.exists(manifestFile)) {
            return new ModelEntry(name, dir, ModelManifest.defaults(name), size, modified, null);
        }
        try {
            ModelManifest declared = yaml.readValue(manifestFile.toFile(), ModelManifest.class);
            ModelManifest manifest = (declared == null ? ModelManifest.defaults(name) : declared.withDefaults(name));
            return new ModelEntry(name, dir, manifest, size, modified, check(name, manifest));
        } catch (IOException e) {
            String reason = e instanceof JsonProcessingException jpe ? jpe.getOriginalMessage() : e.getMessage();
            return new ModelEntry(name, dir, ModelManifest.defaults(name), size, modified,
                    "model.yaml is not valid: " + firstLine(reason));
        }
    }

    private static String check(String directoryName, ModelManifest m) {
        if (!directoryName.equals(m.name())) {
            return "model.yaml names '" + m.name() + "' but the directory is '" + directoryName + "'";
        }
        if (!Category.isValid(m.category())) {
            return "model.yaml category '" + m.category() + "' is not valid: use text, image, voice, video or another lowercase word";
        }
        if (!ModelManifest.DEFAULT_ENGINE.equals(m.inferenceEngine())) {
            return "model.yaml inference_engine '" + m.inferenceEngine() + "' is not supported: Kiln runs onnxruntime";
        }
        return null;
    }

    /** Total bytes of the model's files and the newest modification time among them. */
    private static long[] measure(Path dir) {
        long[] sizeAndTime = new long[2];
        try (Stream<Path> files = Files.walk(dir)) {
            files.filter(Files::isRegularFile)
                    .filter(p -> !p.getFileName().toString().startsWith(AtomicFiles.TEMP_PREFIX))
                    .forEach(p -> {
                        try {
                            sizeAndTime[0] += Files.size(p);
                            sizeAndTime[1] = Math.max(sizeAndTime[1], Files.getLastModifiedTime(p).toMillis());
                        } catch (IOException e) {
                            // A file removed while we walk simply does not count.
                        }
                    });
        } catch (IOException e) {
            // An unreadable directory measures as empty; loading it will say why.
        }
        return sizeAndTime;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
