package dev.kiln.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** .kiln-settings.yaml lives in the repository, so it is read with the same bounds as a model.yaml. */
class RuntimeSettingsFileTest {

    @TempDir
    Path root;

    private RuntimeSettings settings() {
        return new RuntimeSettings(proxy(AiModelsConfig.class, name -> switch (name) {
            case "repository" -> root.toString();
            case "lazyLoad" -> false;
            case "warmup" -> proxy(AiModelsConfig.Warmup.class, n -> n.equals("iterations") ? 1 : null);
            case "telemetry" -> proxy(AiModelsConfig.Telemetry.class, n -> n.equals("idleAfter") ? Duration.ofHours(1) : null);
            default -> throw new UnsupportedOperationException(name);
        }));
    }

    @SuppressWarnings("unchecked")
    private static <T> T proxy(Class<T> type, java.util.function.Function<String, Object> answers) {
        return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[]{type}, (p, m, args) -> answers.apply(m.getName()));
    }

    @Test
    void aSmallFileIsAppliedAnOversizedOneIgnoredUnparsed() throws Exception {
        Path file = root.resolve(RuntimeSettings.FILE);
        Files.writeString(file, "warmup_iterations: 7\n");
        assertEquals(7, settings().current().warmupIterations());

        String padding = "# " + "x".repeat(98) + "\n";
        Files.writeString(file, "warmup_iterations: 7\n" + padding.repeat(3000));
        assertEquals(1, settings().current().warmupIterations(), "a 300 KB settings file is not parsed; configuration stands");
    }

    /** A broken settings file is warned about once, not at every poll of every replica; a later good one is followed. */
    @Test
    void aBrokenFileIsWarnedAboutOnceThenAGoodOneIsFollowed() throws Exception {
        RuntimeSettings settings = settings();
        java.util.List<String> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler handler = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                if (r.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue()) {
                    warnings.add(String.valueOf(r.getMessage()));
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        java.util.logging.Logger logger = java.util.logging.Logger.getLogger(RuntimeSettings.class.getName());
        logger.addHandler(handler);
        try {
            Path file = root.resolve(RuntimeSettings.FILE);
            Files.writeString(file, "warmup_iterations: [not, a, number\n");
            for (int poll = 0; poll < 5; poll++) {
                assertTrue(settings.changedOnDisk().isEmpty());
            }
            assertEquals(1, warnings.size(), "warned once: " + warnings);
            Files.writeString(file, "warmup_iterations: 9\n");
            assertEquals(9, settings.changedOnDisk().orElseThrow().warmupIterations());
        } finally {
            logger.removeHandler(handler);
        }
    }
}
