package dev.kiln.registry;

import dev.kiln.testing.Json;
import dev.kiln.testing.TestRepository;
import dev.kiln.testing.V2;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;

/** With ai.models.repository-poll-interval set (and no watch), directories added or removed by hand are picked up alone. */
@QuarkusTest
@TestProfile(RepositoryPollTest.Polling.class)
class RepositoryPollTest {

    public static class Polling implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("ai.models.repository-poll-interval", "1s");
        }
    }

    static List<String> listed() {
        List<String> names = new ArrayList<>();
        Json.of(V2.index().statusCode(200)).forEach(m -> names.add(m.get("name").asText()));
        return names;
    }

    @Test
    void directoriesComeAndGoWithoutACall() throws Exception {
        Path dir = Files.createDirectories(TestRepository.ROOT.resolve("polled-cls"));
        try {
            Files.copy(TestRepository.ROOT.resolve("ppocr-cls/model.onnx"), dir.resolve("model.onnx"));
            await().atMost(Duration.ofSeconds(15)).until(() -> listed().contains("polled-cls"));
        } finally {
            TestRepository.delete("polled-cls");
        }
        await().atMost(Duration.ofSeconds(15)).until(() -> !listed().contains("polled-cls"));
    }
}
