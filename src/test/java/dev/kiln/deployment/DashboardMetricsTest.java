package dev.kiln.deployment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.testing.Startup;
import dev.kiln.testing.V2;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every metric the Grafana dashboard and the alerts query is one the live service exports. */
@QuarkusTest
class DashboardMetricsTest {

    private static final Pattern METRIC = Pattern.compile("\\b((?:ai_model|ai_models|jvm|process)_[a-z0-9_]+)\\b");

    static Set<String> exported() {
        String text = given().header("Accept", "text/plain; version=0.0.4").get("/q/metrics").asString();
        Set<String> names = new TreeSet<>();
        text.lines().filter(l -> !l.startsWith("#") && !l.isBlank())
                .forEach(l -> names.add(l.split("[{ ]", 2)[0]));
        return names;
    }

    static Set<String> queried(String text) {
        Set<String> names = new TreeSet<>();
        Matcher m = METRIC.matcher(text);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    @Test
    void dashboardQueriesOnlyExportedMetrics() throws Exception {
        Startup.awaitStarted();
        V2.infer("all-minilm-l6-v2-q", V2.helloWorld()).statusCode(200);
        JsonNode dashboard = new ObjectMapper().readTree(Path.of("deployment/grafana/kiln-dashboard.json").toFile());
        StringBuilder exprs = new StringBuilder();
        dashboard.get("panels").forEach(p -> p.get("targets").forEach(t -> exprs.append(t.get("expr").asText()).append('\n')));
        dashboard.get("templating").get("list").forEach(v -> exprs.append(v.path("query").asText()).append('\n'));
        Set<String> used = queried(exprs.toString());
        assertTrue(used.size() >= 10, "dashboard queries " + used);
        for (String timing : Set.of("ai_model_queue_duration_seconds_bucket", "ai_model_compute_duration_seconds_sum",
                "ai_model_batch_size_sum")) {
            assertTrue(used.contains(timing), "the dashboard shows where time goes: " + timing + " missing from " + used);
        }
        Set<String> missing = new TreeSet<>(used);
        missing.removeAll(exported());
        assertTrue(missing.isEmpty(), "dashboard queries metrics the service does not export: " + missing);
    }

    /** KEDA's trigger and the README's adapter rule scale on a gauge the service exports. */
    @Test
    void scalingQueriesOnlyExportedMetrics() throws Exception {
        Startup.awaitStarted();
        String readme = java.nio.file.Files.readString(Path.of("README.md"));
        int adapter = readme.indexOf("seriesQuery:");
        Set<String> used = queried(java.nio.file.Files.readString(Path.of("k8s/overlays/keda/scaledobject.yaml"))
                + readme.substring(adapter, readme.indexOf("```", adapter)));
        assertTrue(used.contains("ai_models_requests_waiting"), "scales on the queue: " + used);
        Set<String> missing = new TreeSet<>(used);
        missing.removeAll(exported());
        assertTrue(missing.isEmpty(), "scaling queries metrics the service does not export: " + missing);
    }

    @Test
    void alertsQueryOnlyExportedMetrics() throws Exception {
        Startup.awaitStarted();
        V2.infer("all-minilm-l6-v2-q", V2.helloWorld()).statusCode(200);
        Set<String> used = queried(java.nio.file.Files.readString(Path.of("deployment/prometheus/alerts.yml")));
        assertTrue(used.contains("ai_model_queue_duration_seconds_bucket"), "an alert watches queue wait: " + used);
        Set<String> missing = new TreeSet<>(used);
        missing.removeAll(exported());
        assertTrue(missing.isEmpty(), "alerts query metrics the service does not export: " + missing);
    }
}
