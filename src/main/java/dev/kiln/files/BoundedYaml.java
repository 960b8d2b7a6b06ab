package dev.kiln.files;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.yaml.snakeyaml.LoaderOptions;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How Kiln reads a YAML file it finds in the repository ({@code model.yaml}, {@code .kiln-settings.yaml}):
 * a regular file inside its own directory, at most {@link #MAX_BYTES}, read and parsed on a worker
 * thread within {@link #MAX_PARSE_TIME}, with SnakeYAML's limits on code points, aliases and nesting
 * set to what a manifest needs. SnakeYAML's time grows with the square of a document's size (a 2 MB
 * description took 5-8 s, 4 MB 12-20 s, on the startup thread, before the port was bound); 256 KiB
 * parses in well under a second, and a real manifest is 1-2 KB.
 */
public final class BoundedYaml {

    public static final int MAX_BYTES = 256 * 1024;
    public static final Duration MAX_PARSE_TIME = Duration.ofSeconds(3);
    private static final int MAX_ALIASES = 10;
    private static final int MAX_NESTING = 16;
    private static final AtomicInteger THREADS = new AtomicInteger();
    /** Parses run here so a file that parses slowly holds a worker, never the caller (startup, a rescan). */
    private static final ExecutorService PARSERS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "kiln-yaml-" + THREADS.incrementAndGet());
        t.setDaemon(true);
        return t;
    });

    /** The file is not one Kiln reads; the message says why, naming the file but not its directory. */
    public static final class Refused extends IOException {
        Refused(String message) {
            super(message);
        }
    }

    /**
     * One mapper for every reader: Jackson builds a type's deserializers once per mapper (about
     * 0.1 s for the manifest, the first time), so a reader made later, or {@link #prime}d early,
     * finds them built. A configured ObjectMapper is safe to share between threads.
     */
    private static final ObjectMapper MAPPER = mapper();

    private static ObjectMapper mapper() {
        LoaderOptions limits = new LoaderOptions();
        limits.setCodePointLimit(MAX_BYTES);
        limits.setMaxAliasesForCollections(MAX_ALIASES);
        limits.setNestingDepthLimit(MAX_NESTING);
        limits.setAllowRecursiveKeys(false);
        YAMLFactory factory = YAMLFactory.builder().loaderOptions(limits)
                .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING).maxStringLength(MAX_BYTES).build())
                .build();
        return new ObjectMapper(factory)
                .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);
    }

    /**
     * Builds what reading {@code type} needs (SnakeYAML, Jackson's deserializers) by parsing a small
     * trusted document, so the first real file reads at full speed. Touches no file and no logging.
     */
    public static void prime(Class<?> type, String sample) throws IOException {
        MAPPER.readValue(sample, type);
    }

    /**
     * The file as {@code type} (null for an empty document). A file out of bounds is a {@link Refused}
     * and nothing of it is parsed; a file that is not valid YAML for {@code type} is Jackson's exception.
     */
    public <T> T read(Path file, Class<T> type) throws IOException {
        String name = file.getFileName().toString();
        confined(file, name);
        long size = Files.size(file);
        if (size > MAX_BYTES) {
            throw new Refused(name + " is " + size + " bytes, more than the " + MAX_BYTES / 1024 + " KiB Kiln reads;"
                    + " nothing of it was parsed");
        }
        Future<T> parse = PARSERS.submit(() -> parse(file, name, type));
        try {
            return parse.get(MAX_PARSE_TIME.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            parse.cancel(true);
            throw new Refused(name + " took longer than " + MAX_PARSE_TIME.toSeconds() + " s to read and parse");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(name + " could not be parsed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            parse.cancel(true);
            Thread.currentThread().interrupt();
            throw new Refused("reading " + name + " was interrupted");
        }
    }

    /** Read at most one byte past the cap, so a file that grew after its size was checked is still refused. */
    private <T> T parse(Path file, String name, Class<T> type) throws IOException {
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes(MAX_BYTES + 1);
        }
        if (bytes.length > MAX_BYTES) {
            throw new Refused(name + " is more than the " + MAX_BYTES / 1024 + " KiB Kiln reads; nothing of it was parsed");
        }
        return bytes.length == 0 ? null : MAPPER.readValue(bytes, type);
    }

    /**
     * A regular file whose real path is in its own directory: a FIFO would block the read for good,
     * and a link out would put another file's first line in an error message.
     */
    private static void confined(Path file, String name) throws IOException {
        Path real = file.toRealPath();
        if (!Files.isRegularFile(real)) {
            throw new Refused(name + " is not a regular file");
        }
        if (!real.startsWith(file.toAbsolutePath().getParent().toRealPath())) {
            throw new Refused(name + " is a link to a file outside its directory");
        }
    }
}
