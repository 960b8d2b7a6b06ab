package dev.kiln.config;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.kiln.errors.KilnError;
import dev.kiln.files.AtomicFiles;
import dev.kiln.files.BoundedYaml;
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
 * written there atomically so a restart keeps it.
 */
@ApplicationScoped
public class RuntimeSettings {

    public static final String FILE = ".kiln-settings.yaml";
    private static final Logger LOG = Logger.getLogger(RuntimeSettings.class);
    private static final Pattern SIMPLE_DURATION = Pattern.compile("(\\d+)(us|ms|s|m|h|d)");

    private final Path file;
    private final ObjectMapper yaml = new ObjectMapper(new YAMLFactory())
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
    /** The saved file is read as a manifest is: size cap, limits, off this thread within a time bound. */
    private final BoundedYaml saved = new BoundedYaml();
    private volatile SettingsValues current;
    /** Only what operators changed at run time; everything else keeps following configuration. */
    private SettingsUpdate overrides = new SettingsUpdate(null, null, null);

    public RuntimeSettings(AiModelsConfig config) {
        this.file = Path.of(config.repository()).toAbsolutePath().normalize().resolve(FILE);
        this.current = new SettingsValues(config.lazyLoad(), config.warmup().iterations(), config.telemetry().idleAfter());
        loadPersisted();
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
        SettingsValues next = merge(current, update);
        SettingsUpdate saved = new SettingsUpdate(
                update.lazyLoad() != null ? update.lazyLoad() : overrides.lazyLoad(),
                update.warmupIterations() != null ? update.warmupIterations() : overrides.warmupIterations(),
                update.telemetryIdleAfter() != null ? format(next.telemetryIdleAfter()) : overrides.telemetryIdleAfter());
        try {
            Files.createDirectories(file.getParent());
            AtomicFiles.write(file, yaml.writeValueAsBytes(saved));
            overrides = saved;
        } catch (IOException e) {
            throw KilnError.internal("settings are valid but could not be saved to " + file + ": " + e.getMessage());
        }
        current = next;
        LOG.infof("settings changed: %s", next);
        return next;
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
                }
            } catch (IllegalArgumentException e) {
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

    private void loadPersisted() {
        if (!Files.isRegularFile(file)) {
            return;
        }
        try {
            SettingsUpdate persisted = saved.read(file, SettingsUpdate.class);
            if (persisted != null) {
                current = merge(current, persisted);
                overrides = persisted;
                LOG.infof("settings from %s: %s", file, current);
            }
        } catch (IOException | KilnError e) {
            LOG.warnf("ignoring %s: %s", file, e.getMessage());
        }
    }
}
