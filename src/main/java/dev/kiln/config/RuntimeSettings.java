package dev.kiln.config;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.kiln.errors.KilnError;
import dev.kiln.files.AtomicFiles;
import dev.kiln.files.BoundedYaml;
import dev.kiln.files.LockFile;
import dev.kiln.files.RepositoryLocks;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Settings an operator may change without a restart. They start from configuration, are
 * overridden by {@code .kiln-settings.yaml} in the repository when present, and every change is
 * written there atomically so a restart keeps it. Replicas sharing the repository share the file:
 * a change is written under the settings lock across replicas, merged with what the others saved,
 * and every replica follows the file ({@link #changedOnDisk}, {@link #reload}).
 */
@ApplicationScoped
public class RuntimeSettings {

    public static final String FILE = ".kiln-settings.yaml";
    private static final Logger LOG = Logger.getLogger(RuntimeSettings.class);
    /** How long a settings change waits for another replica's. */
    private static final Duration LOCK_WAIT = Duration.ofSeconds(10);
    private static final Duration MAX_IDLE_AFTER = Duration.ofDays(365);
    private static final Pattern SIMPLE_DURATION = Pattern.compile("(\\d+)(us|ms|s|m|h|d)");

    private final Path file;
    private final Path root;
    private static final byte[] NOT_A_FILE = "not a regular file".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    /** What configuration says, before the file's overrides. */
    private final SettingsValues base;
    /** The file's bytes as last read (null: no file), to notice another replica's change cheaply. */
    private byte[] lastRead;
    private final ObjectMapper yaml = new ObjectMapper(new YAMLFactory())
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
    /** The saved file is read as a manifest is: size cap, limits, off this thread within a time bound. */
    private final BoundedYaml saved = new BoundedYaml();
    private volatile SettingsValues current;
    /** Only what operators changed at run time; everything else keeps following configuration. */
    private SettingsUpdate overrides = new SettingsUpdate(null, null, null);

    public RuntimeSettings(AiModelsConfig config) {
        this.root = Path.of(config.repository()).toAbsolutePath().normalize();
        this.file = root.resolve(FILE);
        this.base = new SettingsValues(config.lazyLoad(), config.warmup().iterations(), config.telemetry().idleAfter());
        this.current = base;
        reload();
    }

    public SettingsValues current() {
        return current;
    }

    public Path file() {
        return file;
    }

    /**
     * Validates every field first (400 naming each bad one), then applies them and persists the
     * fields that were sent: a setting nobody changed keeps following configuration after a restart.
     */
    public synchronized SettingsValues apply(SettingsUpdate update) {
        if (update == null) {
            throw KilnError.invalid("request body is missing: send lazy_load, warmup_iterations and/or telemetry_idle_after");
        }
        merge(current, update);
        try (LockFile.Held held = LockFile.acquireForChange(RepositoryLocks.ofSettings(root), LOCK_WAIT, root)) {
            AtomicFiles.deleteTempFiles(root);
            reload();
            SettingsValues next = merge(current, update);
            SettingsUpdate saved = new SettingsUpdate(
                    update.lazyLoad() != null ? update.lazyLoad() : overrides.lazyLoad(),
                    update.warmupIterations() != null ? update.warmupIterations() : overrides.warmupIterations(),
                    update.telemetryIdleAfter() != null ? format(next.telemetryIdleAfter()) : overrides.telemetryIdleAfter());
            byte[] bytes = yaml.writeValueAsBytes(saved);
            Files.createDirectories(file.getParent());
            AtomicFiles.write(file, bytes);
            overrides = saved;
            lastRead = bytes;
            current = next;
            LOG.infof("settings changed: %s", next);
            return next;
        } catch (LockFile.Busy busy) {
            throw KilnError.conflict("another replica (" + busy.holder() + ") is writing the settings; try again");
        } catch (LockFile.Unusable unusable) {
            throw KilnError.unavailable("the settings cannot be saved: " + unusable.getMessage(), null);
        } catch (IOException e) {
            throw KilnError.internal("settings are valid but could not be saved to " + file + ": " + e.getMessage());
        }
    }

    /**
     * The values the settings file asks for, when another replica (or a hand) changed it since it
     * was last read and they differ from those in force; empty otherwise. Nothing is applied: the
     * caller may prepare first (warm the lazy models before lazy loading goes off) and then {@link #reload}.
     */
    public synchronized java.util.Optional<SettingsValues> changedOnDisk() {
        byte[] bytes = readFile();
        if (java.util.Arrays.equals(bytes, lastRead)) {
            return java.util.Optional.empty();
        }
        SettingsUpdate saved = parse(bytes);
        if (saved == null) {
            lastRead = bytes; // ignored, and said so once: the next pass does not warn again about the same bytes
            return java.util.Optional.empty();
        }
        try {
            SettingsValues next = merge(base, saved);
            return next.equals(current) ? java.util.Optional.empty() : java.util.Optional.of(next);
        } catch (KilnError e) {
            reload();
            return java.util.Optional.empty();
        }
    }

    /** Reads the settings file and puts what it says in force over configuration. A file that is not valid is ignored, with a warning. */
    public synchronized SettingsValues reload() {
        byte[] bytes = readFile();
        if (java.util.Arrays.equals(bytes, lastRead) && bytes != null) {
            return current;
        }
        lastRead = bytes;
        SettingsUpdate saved = parse(bytes);
        if (saved != null) {
            try {
                SettingsValues next = merge(base, saved);
                if (!next.equals(current)) {
                    LOG.infof("settings from %s: %s", file, next);
                }
                current = next;
                overrides = saved;
            } catch (KilnError e) {
                LOG.warnf("ignoring %s: %s", file, e.getMessage());
            }
        }
        return current;
    }

    static SettingsValues merge(SettingsValues base, SettingsUpdate u) {
        List<String> problems = new ArrayList<>();
        int iterations = base.warmupIterations();
        if (u.warmupIterations() != null) {
            if (u.warmupIterations() < 0 || u.warmupIterations() > 100) {
                problems.add("warmup_iterations must be between 0 and 100, got " + u.warmupIterations());
            }
            iterations = u.warmupIterations();
        }
        Duration idle = base.telemetryIdleAfter();
        if (u.telemetryIdleAfter() != null) {
            try {
                idle = parseDuration(u.telemetryIdleAfter());
                if (idle.isNegative() || idle.isZero()) {
                    problems.add("telemetry_idle_after must be positive, got '" + u.telemetryIdleAfter() + "'");
                } else if (idle.compareTo(MAX_IDLE_AFTER) > 0) {
                    // Past this, writing it back in milliseconds overflowed (500, attack finding).
                    problems.add("telemetry_idle_after must be at most 365d, got '" + u.telemetryIdleAfter() + "'");
                }
            } catch (IllegalArgumentException | ArithmeticException e) {
                problems.add("telemetry_idle_after is not a duration (use 30m, 2h, 1d or PT90S), got '"
                        + u.telemetryIdleAfter() + "'");
            }
        }
        if (!problems.isEmpty()) {
            throw KilnError.invalid(String.join("; ", problems));
        }
        boolean lazy = u.lazyLoad() != null ? u.lazyLoad() : base.lazyLoad();
        return new SettingsValues(lazy, iterations, idle);
    }

    public static Duration parseDuration(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        Matcher m = SIMPLE_DURATION.matcher(t);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "us" -> Duration.ofNanos(n * 1000);
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
        }
        try {
            return Duration.parse(text.trim().toUpperCase(Locale.ROOT));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(text, e);
        }
    }

    public static String format(Duration d) {
        return d.toSeconds() % 3600 == 0 && d.toMillis() % 1000 == 0 ? d.toHours() + "h"
                : d.toSeconds() % 60 == 0 && d.toMillis() % 1000 == 0 ? d.toMinutes() + "m"
                : d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }

    /**
     * What the file holds now, to notice a change: at most one byte past the size Kiln parses, and
     * never from something that is not a regular file (a FIFO would block); parse() then refuses it.
     */
    private byte[] readFile() {
        if (!Files.exists(file)) {
            return null;
        }
        if (!Files.isRegularFile(file)) {
            return NOT_A_FILE;
        }
        try (java.io.InputStream in = Files.newInputStream(file)) {
            return in.readNBytes(BoundedYaml.MAX_BYTES + 1);
        } catch (java.nio.file.NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            LOG.warnf("cannot read %s: %s", file, e.getMessage());
            return lastRead;
        }
    }

    /** The overrides the file holds (none when there is no file), or null when it is not valid. */
    private SettingsUpdate parse(byte[] bytes) {
        if (bytes == null) {
            return new SettingsUpdate(null, null, null);
        }
        try {
            SettingsUpdate persisted = saved.read(file, SettingsUpdate.class);
            return persisted != null ? persisted : new SettingsUpdate(null, null, null);
        } catch (IOException | KilnError e) {
            LOG.warnf("ignoring %s: %s", file, e.getMessage());
            return null;
        }
    }
}
