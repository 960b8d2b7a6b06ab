package dev.kiln.testing;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** A real Prometheus server (Debian's, installed by .ci/run) scraping Kiln's /q/metrics every second. */
public final class PrometheusServer {

    /** What Prometheus answered for the query once it had a value, and its view of the scrape target. */
    public record Scrape(String query, String targets) {
    }

    private PrometheusServer() {
    }

    /** Scrapes 127.0.0.1:{@code kilnPort} until {@code query} has a value (60 s at most). */
    public static Scrape scrape(int kilnPort, String query) throws Exception {
        Path dir = Files.createTempDirectory("kiln-prometheus");
        int port = Processes.freePort();
        Files.writeString(dir.resolve("prometheus.yml"), """
                global:
                  scrape_interval: 1s
                scrape_configs:
                  - job_name: kiln
                    metrics_path: /q/metrics
                    static_configs:
                      - targets: ['127.0.0.1:%d']
                """.formatted(kilnPort));
        Process server = new ProcessBuilder("prometheus", "--config.file=" + dir.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
        try {
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + port + "/api/v1/";
            String answer = "";
            long deadline = System.currentTimeMillis() + 60_000;
            while (System.currentTimeMillis() < deadline && !answer.contains("\"value\"")) {
                Thread.sleep(500);
                try {
                    answer = get(http, base + "query?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8));
                } catch (IOException notYet) {
                    answer = "";
                }
            }
            return new Scrape(answer, get(http, base + "targets"));
        } finally {
            server.destroy();
            server.waitFor();
        }
    }

    private static String get(HttpClient http, String url) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }
}
