package dev.kiln.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
