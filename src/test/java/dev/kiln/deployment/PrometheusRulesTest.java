package dev.kiln.deployment;

import dev.kiln.testing.Processes;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The alerting rules are valid and fire (and stay quiet) as intended on synthetic series. */
class PrometheusRulesTest {

    @Test
    void rulesAreValid() throws Exception {
        Processes.Result r = Processes.run(List.of("promtool", "check", "rules", "deployment/prometheus/alerts.yml"), null, 60);
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("SUCCESS: 8 rules found"), r.output());
    }

    @Test
    void rulesPassTheirUnitTests() throws Exception {
        Processes.Result r = Processes.run(List.of("promtool", "test", "rules", "deployment/prometheus/alerts.test.yml"), null, 120);
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("SUCCESS"), r.output());
    }

    @Test
    void composeScrapeConfigIsValid() throws Exception {
        Processes.Result r = Processes.run(List.of("promtool", "check", "config", "deployment/prometheus/prometheus.yml"), null, 60);
        assertEquals(0, r.exitCode(), r.output());
    }
}
