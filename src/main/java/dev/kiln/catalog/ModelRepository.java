package dev.kiln.catalog;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.kiln.config.AiModelsConfig;
import dev.kiln.errors.KilnError;
import dev.kiln.files.AtomicFiles;
import dev.kiln.files.BoundedYaml;
import dev.kiln.files.LockFile;
import dev.kiln.files.RepositoryLocks;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The model repository on disk: the source of truth. One directory per model holding
 * {@code model.onnx} (version 1) or numbered version directories ({@code <n>/model.onnx}), and an
 * optional {@code model.yaml} shared by its versions; nothing here keeps state in memory.
 */
@ApplicationScoped
public class ModelRepository {

    private static final Logger LOG = Logger.getLogger(ModelRepository.class);
    /** Where a replaced model waits while its successor moves in. */
    static final String REPLACED_PREFIX = ".kiln-replaced-";

    private final Path root;
    /** This process's staging directories and the lock each holds. */
    private final java.util.Map<Path, LockFile.Held> staging = new java.util.concurrent.ConcurrentHashMap<>();
    private final ObjectMapper yaml = new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES))
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
    private final BoundedYaml manifests = new BoundedYaml();

    public ModelRepository(AiModelsConfig config) {
        this.root = Path.of(config.repository()).toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    /** Every version of every model, in name then version order. Directories that are not models are skipped. */
    public List<ModelEntry> scan() {
        List<ModelEntry> entries = new ArrayList<>();
        for (String name : names()) {
            find(name).ifPresent(d -> entries.addAll(d.versions()));
        }
        return entries;
    }

    /**
     * The names of the model directories, without reading them: a caller that settles each name
     * under its lock reads it there, because a directory may be replaced or removed meanwhile.
     */
    public List<String> names() {
        if (!Files.isDirectory(root)) {
            LOG.warnf("model repository %s does not exist or is not a directory", root);
            return List.of();
        }
        List<String> names = new ArrayList<>();
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
                if (ModelLayout.isModel(dir)) {
                    names.add(name);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list model repository " + root, e);
        }
        return names;
    }

    /** The model of that name, when its directory holds at least one version ({@code model.onnx} or {@code <n>/model.onnx}). */
    public Optional<ModelDirectory> find(String name) {
        Path dir = directoryOf(name);
        return ModelLayout.isModel(dir) ? Optional.of(read(dir, name)) : Optional.empty();
    }

    public Path directoryOf(String name) {
        return root.resolve(ModelName.require(name));
    }

    /**
     * Replaces the manifest atomically: readers see the old one or the new one, never half. One that
     * cannot be read (a broken hand edit) is not replaced (409): what is written is the manifest as read
     * with one change, and from an unreadable one that would be the defaults, the operator's fields lost.
     */
    public void writeManifest(String name, ModelManifest manifest) {
        requireReadableManifest(name);
        try {
            AtomicFiles.write(directoryOf(name).resolve(ModelEntry.MANIFEST_FILE), toYaml(manifest));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write manifest of " + name, e);
        }
    }

    /** 409 when the model's model.yaml is there but cannot be read: a change written from it would drop its fields. */
    public void requireReadableManifest(String name) {
        Path file = directoryOf(name).resolve(ModelEntry.MANIFEST_FILE);
        Manifest now = Files.exists(file, java.nio.file.LinkOption.NOFOLLOW_LINKS) ? manifest(file, name) : null;
        if (now != null && now.unread()) {
            throw KilnError.conflict("model.yaml of '" + name + "' is not changed: " + now.problem()
                    + "; put it right (or replace the model) first, or its other fields would be lost");
        }
    }

    /**
     * A fresh directory for an install to stage into. Its install holds a lock on it for as long as
     * it lives ({@link #discardStaging}), so any replica can tell an abandoned one (its process died)
     * from one still being filled, and sweep only the first.
     */
    public Path newStagingDirectory(String purpose) throws IOException {
        Files.createDirectories(root);
        String name = AtomicFiles.TEMP_PREFIX + purpose + "-" + UUID.randomUUID();
        LockFile.Held owner = LockFile.acquire(RepositoryLocks.ofStaging(root, name), java.time.Duration.ZERO);
        try {
            Path dir = Files.createDirectory(root.resolve(name));
            staging.put(dir, owner);
            return dir;
        } catch (IOException | RuntimeException e) {
            owner.closeAndDelete();
            throw e;
        }
    }

    /** Removes a staging directory and lets go of its lock. */
    public void discardStaging(Path dir) throws IOException {
        try {
            deleteTree(dir);
        } finally {
            LockFile.Held owner = staging.remove(dir);
            if (owner != null) {
                owner.closeAndDelete();
            }
        }
    }

    /**
     * Holds the model's lock across replicas: whoever changes its files or manifest holds it, and so
     * does whoever reads them to follow a change. Waits up to {@code wait} for another replica.
     */
    public LockFile.Held lockName(String name, java.time.Duration wait) {
        return LockFile.acquire(RepositoryLocks.ofName(root, name), wait);
    }

    /** {@link #lockName} for a change of the model's files or manifest: refused ({@link LockFile.Unusable}) without a real lock. */
    public LockFile.Held lockNameForChange(String name, java.time.Duration wait) {
        return LockFile.acquireForChange(RepositoryLocks.ofName(root, name), wait, root);
    }

    /** Puts right what a writer that died left of this model; the caller holds its lock. True when anything was found. */
    public boolean cleanLeftovers(String name) {
        return Leftovers.cleanName(root, name);
    }

    /** Names with leftovers of an unfinished replace or uninstall, for a rescan to visit. */
    public java.util.Set<String> leftoverNames() {
        return Leftovers.names(root);
    }

    /** Staging directories and settings files abandoned by processes that died; what a live process holds stays. */
    public void sweepAbandoned() {
        Leftovers.sweepStaging(root);
        Leftovers.sweepSettingsTemps(root);
    }

    /** Reads a staged model directory (its model.onnx at the top) as {@code name}, version 1. */
    public ModelEntry readStaged(Path staged, String name) {
        return readStaged(staged, name, 1);
    }

    /** Reads a staged model directory (its model.onnx at the top) as version {@code version} of {@code name}. */
    public ModelEntry readStaged(Path staged, String name, int version) {
        Path manifestFile = Files.exists(staged.resolve(ModelEntry.MANIFEST_FILE)) ? staged.resolve(ModelEntry.MANIFEST_FILE)
                : directoryOf(name).resolve(ModelEntry.MANIFEST_FILE);
        Manifest m = manifest(manifestFile, name);
        long[] measured = measure(staged, staged);
        return new ModelEntry(name, version, staged, staged, m.manifest(), measured[0], measured[1],
                m.problem() != null ? m.problem() : externalData(staged));
    }

    /**
     * Turns a staged model (model.onnx and side files at its top, model.yaml beside them) into a
     * model whose only version is {@code version}: everything but the manifest moves into {@code <version>/}.
     */
    public void nestAsVersion(Path staged, int version) throws IOException {
        Path inner = staged.resolve(AtomicFiles.TEMP_PREFIX + "version");
        Files.createDirectory(inner);
        try (Stream<Path> files = Files.list(staged)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (!name.equals(ModelEntry.MANIFEST_FILE) && !f.equals(inner)) {
                    Files.move(f, inner.resolve(name), StandardCopyOption.ATOMIC_MOVE);
                }
            }
        }
        Files.move(inner, staged.resolve(Integer.toString(version)), StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Puts a staged version (model.onnx at its top; a model.yaml in it is dropped: the model's own
     * stays) in as {@code <name>/<version>/}. A version already there is first set aside as
     * {@code <name>/.kiln-replaced-<version>}, which a crash between the two renames leaves for
     * {@link Leftovers} to put back: a restart sees the old version or the new one, never neither.
     */
    public void moveVersionIntoPlace(Path staged, String name, int version) throws IOException {
        Path model = directoryOf(name);
        Path target = model.resolve(Integer.toString(version));
        Path aside = model.resolve(REPLACED_PREFIX + version);
        Files.deleteIfExists(staged.resolve(ModelEntry.MANIFEST_FILE));
        deleteTree(aside);
        if (Files.exists(target)) {
            Files.move(target, aside, StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(staged, target, StandardCopyOption.ATOMIC_MOVE);
        AtomicFiles.syncDirectory(model);
        deleteTree(aside);
    }

    /**
     * Removes one version: its directory in one rename out of sight, then the slow delete. A version
     * 1 that is the model.onnx at the top loses that file (side files at the top are the model's).
     */
    public void deleteVersion(String name, int version) {
        Path model = directoryOf(name);
        Path dir = model.resolve(Integer.toString(version));
        Path source = Files.isDirectory(dir) ? dir : model.resolve(ModelEntry.MODEL_FILE);
        try {
            Path gone = root.resolve(Leftovers.UNINSTALL_PREFIX + name + "-" + UUID.randomUUID());
            Files.move(source, gone, StandardCopyOption.ATOMIC_MOVE);
            AtomicFiles.syncDirectory(model);
            AtomicFiles.syncDirectory(root);
            deleteTree(gone);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove version " + version + " of " + name, e);
        }
    }

    /**
     * Moves a staged directory into place with atomic renames. An existing model is first set aside
     * as {@code .kiln-replaced-<name>}: if a crash falls between the two renames, {@link #recover()}
     * puts it back, so a restart sees the old model or the new one, never neither.
     */
    public void moveIntoPlace(Path staged, String name) throws IOException {
        Path target = directoryOf(name);
        Path aside = setAside(name);
        Files.move(staged, target, StandardCopyOption.ATOMIC_MOVE);
        AtomicFiles.syncDirectory(root);
        deleteTree(aside);
    }

    /** The first of a replace's two renames: the serving version steps aside (nothing is at its name until the second). */
    protected Path setAside(String name) throws IOException {
        Path target = directoryOf(name);
        Path aside = root.resolve(REPLACED_PREFIX + name);
        deleteTree(aside);
        if (Files.exists(target)) {
            Files.move(target, aside, StandardCopyOption.ATOMIC_MOVE);
        }
        return aside;
    }

    /** Removes a model's directory: one atomic rename out of sight, then the slow delete. */
    public void delete(String name) {
        Path dir = directoryOf(name);
        try {
            Path gone = root.resolve(Leftovers.UNINSTALL_PREFIX + name + "-" + UUID.randomUUID());
            Files.move(dir, gone, StandardCopyOption.ATOMIC_MOVE);
            AtomicFiles.syncDirectory(root);
            deleteTree(gone);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove model directory " + dir, e);
        }
    }

    /**
     * Startup repair after a crash: abandoned staging directories and half-written files go, and a
     * model set aside by a replace that did not finish comes back. In a shared repository only what
     * no live replica holds is touched: a name another replica is changing now is left to it.
     */
    public void recover() {
        if (!Files.isDirectory(root)) {
            return;
        }
        sweepAbandoned();
        java.util.Set<String> names = new java.util.TreeSet<>(leftoverNames());
        try (Stream<Path> entries = Files.list(root)) {
            entries.filter(Files::isDirectory).map(p -> p.getFileName().toString()).filter(ModelName::isValid).forEach(names::add);
        } catch (IOException | UncheckedIOException e) {
            LOG.warnf("repository recovery incomplete: %s", e.getMessage());
        }
        for (String name : names) {
            LockFile.Held held = LockFile.tryAcquireAlone(RepositoryLocks.ofName(root, name));
            if (held != null) {
                try (held) {
                    cleanLeftovers(name);
                }
            }
        }
    }

    public static void deleteTree(Path path) throws IOException {
        if (!Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    public byte[] toYaml(ModelManifest manifest) throws JsonProcessingException {
        return yaml.writeValueAsBytes(manifest);
    }

    /** Reads a model directory as the model called {@code name} (its directory name once in place): the manifest once, then each version. */
    private ModelDirectory read(Path dir, String name) {
        Manifest m = manifest(dir.resolve(ModelEntry.MANIFEST_FILE), name);
        String conflict = ModelLayout.conflict(dir);
        List<ModelEntry> versions = new ArrayList<>();
        ModelLayout.versions(dir).forEach((version, versionDir) -> {
            long[] measured = measure(dir, versionDir);
            String problem = m.problem() != null ? m.problem() : version == 1 && conflict != null ? conflict : externalData(versionDir);
            versions.add(new ModelEntry(name, version, dir, versionDir, m.manifest(), measured[0], measured[1], problem));
        });
        return new ModelDirectory(name, dir, m.manifest(), List.copyOf(versions));
    }

    /** A manifest as read, or the defaults with the reason it could not be read ({@code unread}). */
    private record Manifest(ModelManifest manifest, String problem, boolean unread) {
        Manifest(ModelManifest manifest, String problem) {
            this(manifest, problem, false);
        }

        static Manifest unread(String name, String problem) {
            return new Manifest(ModelManifest.defaults(name), problem, true);
        }
    }

    private Manifest manifest(Path manifestFile, String name) {
        if (!Files.exists(manifestFile)) {
            return new Manifest(ModelManifest.defaults(name), null);
        }
        try {
            ModelManifest declared = manifests.read(manifestFile, ModelManifest.class);
            ModelManifest manifest = (declared == null ? ModelManifest.defaults(name) : declared.withDefaults(name));
            return new Manifest(manifest, check(name, manifest));
        } catch (BoundedYaml.Refused e) {
            return Manifest.unread(name, e.getMessage());
        } catch (IOException e) {
            String reason = e instanceof JsonProcessingException jpe ? jpe.getOriginalMessage() : e.getMessage();
            return Manifest.unread(name, "model.yaml is not valid: " + firstLine(reason));
        }
    }

    /** Why the model's external data is not confined to its directory, or null (see {@link ExternalDataCheck}). */
    private static String externalData(Path dir) {
        return ExternalDataCheck.problem(dir.resolve(ModelEntry.MODEL_FILE));
    }

    /** What would make this manifest fail the model were it written as {@code name}'s, or null: the checks a read makes. */
    public String problems(String name, ModelManifest manifest) {
        return check(name, manifest);
    }

    private static String check(String name, ModelManifest m) {
        if (!name.equals(m.name())) {
            return "model.yaml names '" + m.name() + "' but the directory is '" + name + "'";
        }
        if (!Category.isValid(m.category())) {
            return "model.yaml category '" + m.category() + "' is not valid: use text, image, voice, video or another lowercase word";
        }
        if (!ModelManifest.DEFAULT_ENGINE.equals(m.inferenceEngine())) {
            return "model.yaml inference_engine '" + m.inferenceEngine() + "' is not supported: Kiln runs onnxruntime";
        }
        return ManifestLimits.problems(m);
    }

    /**
     * Total bytes of one version's files and the newest change among them: modification or status
     * change (ctime), since new weights of the same size copied with their times kept ({@code cp -p},
     * {@code rsync -a}, {@code tar x}, a {@code mv}) keep the old modification time, and only the
     * status change, which nobody can set, tells that the file is another.
     */
    private static long[] measure(Path root, Path versionDir) {
        long[] sizeAndTime = new long[2];
        try (Stream<Path> files = ModelLayout.files(root, versionDir)) {
            files.forEach(p -> {
                try {
                    sizeAndTime[0] += Files.size(p);
                    sizeAndTime[1] = Math.max(sizeAndTime[1], lastChange(p));
                } catch (IOException e) {
                    // A file removed while we walk simply does not count.
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // An unreadable directory, or one removed while we walk it, measures what was seen;
            // loading it will say why.
        }
        return sizeAndTime;
    }

    private static long lastChange(Path file) throws IOException {
        long modified = Files.getLastModifiedTime(file).toMillis();
        try {
            return Math.max(modified, ((java.nio.file.attribute.FileTime) Files.getAttribute(file, "unix:ctime")).toMillis());
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            return modified;
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
