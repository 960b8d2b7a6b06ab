package dev.kiln.pipelines;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.kiln.catalog.ModelEntry;
import dev.kiln.catalog.ModelName;
import dev.kiln.files.AtomicFiles;
import dev.kiln.files.BoundedYaml;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The pipelines on disk: each a directory of the model repository holding a {@code pipeline.yaml} and
 * no {@code model.onnx} (a directory with both is a model). Read within the same bounds as a
 * model.yaml; written atomically.
 */
final class PipelineFiles {

    static final String FILE = "pipeline.yaml";

    private final Path root;
    private final BoundedYaml reader = new BoundedYaml();
    private final ObjectMapper writer = new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES))
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);

    PipelineFiles(Path root) {
        this.root = root;
    }

    /** The names of the pipeline directories, in name order. */
    List<String> names() {
        List<String> names = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return names;
        }
        try (Stream<Path> dirs = Files.list(root)) {
            for (Path dir : dirs.sorted().toList()) {
                String name = dir.getFileName().toString();
                if (ModelName.isValid(name) && exists(name)) {
                    names.add(name);
                }
            }
        } catch (IOException e) {
            // An unreadable repository lists nothing; the models' own scan reports it.
        }
        return names;
    }

    boolean exists(String name) {
        Path dir = directory(name);
        return Files.isRegularFile(dir.resolve(FILE)) && !Files.exists(dir.resolve(ModelEntry.MODEL_FILE));
    }

    Path directory(String name) {
        return root.resolve(ModelName.require(name));
    }

    /** The newest change of the pipeline's file (0 when it cannot be read): a rescan reads again only what changed. */
    long modified(String name) {
        try {
            return Files.getLastModifiedTime(directory(name).resolve(FILE)).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }

    PipelineManifest read(String name) {
        try {
            return reader.read(directory(name).resolve(FILE), PipelineManifest.class);
        } catch (BoundedYaml.Refused e) {
            throw new PipelineProblem(e.getMessage());
        } catch (IOException e) {
            String why = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            throw new PipelineProblem("pipeline.yaml is not valid: " + firstLine(why));
        }
    }

    void write(String name, PipelineManifest manifest) {
        try {
            AtomicFiles.write(directory(name).resolve(FILE), writer.writeValueAsBytes(manifest));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot write pipeline.yaml of " + name, e);
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
