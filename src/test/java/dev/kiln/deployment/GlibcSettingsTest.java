package dev.kiln.deployment;

import dev.kiln.testing.PackagedKiln;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * glibc's settings decide how fast a model loads and whether an unloaded model's memory goes back
 * (README, "Model lifecycle and memory"), and they are written out where Kiln is started: the images,
 * compose, the Deployment, the README's run command, the tests' launcher and the benches. A copy that
 * drifts makes a bench measure a Kiln nobody ships, so every copy is read here and compared with the
 * benches' one ({@code bench/kiln-env.sh}).
 */
class GlibcSettingsTest {

    private static final Pattern ASSIGNMENT = Pattern.compile("\\b(MALLOC_TRIM_THRESHOLD_|GLIBC_TUNABLES)[=:]\\s*\"?([^\"\\s\\\\]+)\"?");

    static Map<String, String> assignments(String text) {
        Map<String, String> found = new LinkedHashMap<>();
        Matcher m = ASSIGNMENT.matcher(text);
        while (m.find()) {
            String old = found.put(m.group(1), m.group(2));
            assertTrue(old == null || old.equals(m.group(2)), m.group(1) + " set twice: " + old + " and " + m.group(2));
        }
        return found;
    }

    static Map<String, String> benches() throws IOException {
        String env = Files.readString(Path.of("bench/kiln-env.sh"));
        Matcher array = Pattern.compile("(?m)^KILN_GLIBC_ENV=\\((.*)\\)$").matcher(env);
        assertTrue(array.find(), "bench/kiln-env.sh defines KILN_GLIBC_ENV=(...)");
        return assignments(array.group(1));
    }

    @Test
    void theBenchesRunWhatTheTestsLaunch() throws IOException {
        assertEquals(PackagedKiln.GLIBC_ENV, benches());
    }

    @ParameterizedTest
    @ValueSource(strings = {"deployment/Dockerfile.jvm", "deployment/Dockerfile.gpu", "deployment/Dockerfile.native",
            "deployment/docker-compose.yml"})
    void everyImageAndComposeSetsTheSame(String file) throws IOException {
        assertEquals(benches(), assignments(Files.readString(Path.of(file))), file);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void theDeploymentSetsTheSame(String overlay) throws Exception {
        Deployment d = (Deployment) KubernetesManifestsTest.render(overlay).get("Deployment");
        Container c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
        Map<String, String> env = c.getEnv().stream().filter(e -> e.getName().startsWith("MALLOC_") || e.getName().equals("GLIBC_TUNABLES"))
                .collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
        assertEquals(benches(), env, overlay);
    }

    @Test
    void theReadmesAotRunCommandSetsTheSame() throws IOException {
        List<String> runs = Files.readAllLines(Path.of("README.md")).stream()
                .filter(l -> l.contains("-jar target/aot/quarkus-run.jar")).toList();
        assertFalse(runs.isEmpty(), "the README runs the AOT jar");
        for (String run : runs) {
            assertEquals(benches(), assignments(run), run);
        }
    }

    /** memory.sh alone spells values out: its rows compare settings against each other. */
    @Test
    void benchScriptsTakeTheirsFromKilnEnv() throws IOException {
        List<Path> scripts;
        try (Stream<Path> s = Files.walk(Path.of("bench"))) {
            scripts = s.filter(p -> p.toString().endsWith(".sh") && !p.endsWith("kiln-env.sh")).sorted().toList();
        }
        assertTrue(scripts.size() >= 8, scripts.toString());
        for (Path script : scripts) {
            String text = Files.readString(script);
            if (text.contains("KILN_GLIBC_ENV")) {
                assertTrue(text.contains("\n. bench/kiln-env.sh\n"), script + " uses KILN_GLIBC_ENV without sourcing bench/kiln-env.sh");
            }
            if (!script.endsWith("memory.sh")) {
                assertTrue(assignments(text).isEmpty(), script + " spells glibc's settings out instead of using bench/kiln-env.sh");
            }
        }
    }
}
