package dev.kiln.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** The packaged jar ({@code target/quarkus-app}) as a separate process on a free port, as an operator runs it. */
public final class PackagedKiln implements AutoCloseable {

    public final int port;
    public final Path repository;
    public final Process process;
    private final HttpClient http = HttpClient.newHttpClient();

    private PackagedKiln(int port, Path repository, Process process) {
        this.port = port;
        this.repository = repository;
        this.process = process;
    }

    /** A fresh copy of the demo repository under target/, for a test that may change it. */
    public static Path copyOfDemoRepository(String name) throws IOException {
        Path copy = Path.of("target", name).toAbsolutePath();
        deleteTree(copy);
        Path demo = Path.of("target/demo-models");
        try (Stream<Path> files = Files.walk(demo)) {
            for (Path p : files.toList()) {
                Path to = copy.resolve(demo.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(to);
                } else if (!p.getFileName().toString().startsWith(".kiln-")) {
                    Files.copy(p, to);
                }
            }
        }
        return copy;
    }

    /** Starts the jar on {@code repository} with these system properties and waits for /q/health/started. */
    public static PackagedKiln start(Path repository, Map<String, String> properties, List<String> jvmOptions) throws Exception {
        return start(repository, Processes.freePort(), properties, jvmOptions);
    }

    /** As above, on a given port (a test that restarts Kiln keeps its address). */
    public static PackagedKiln start(Path repository, int port, Map<String, String> properties, List<String> jvmOptions)
            throws Exception {
        Process p = launch(repository, port, properties, jvmOptions);
        PackagedKiln kiln = new PackagedKiln(port, repository, p);
        long deadline = System.currentTimeMillis() + 90_000;
        while (System.currentTimeMillis() < deadline && p.isAlive()) {
            try {
                if (kiln.get("/q/health/started").statusCode() == 200) {
                    return kiln;
                }
            } catch (IOException notYet) {
                // still starting
            }
            Thread.sleep(100);
        }
        p.destroyForcibly();
        throw new AssertionError("Kiln did not start on port " + port + "; see " + log(port));
    }

    /** The log of the process on {@code port}. */
    public static Path log(int port) {
        return Path.of("target/packaged-kiln-" + port + ".log");
    }

    /** glibc's settings as the images and the README run Kiln (GlibcSettingsTest keeps every copy equal). */
    public static final Map<String, String> GLIBC_ENV =
            Map.of("MALLOC_TRIM_THRESHOLD_", "1048576", "GLIBC_TUNABLES", "glibc.malloc.hugetlb=1");

    /** Starts the jar and returns at once, its output going to {@link #log(int)}. */
    public static Process launch(Path repository, int port, Map<String, String> properties, List<String> jvmOptions)
            throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(jvmOptions);
        cmd.add("-Dquarkus.http.port=" + port);
        if (!properties.containsKey("quarkus.grpc.server.port")) {
            cmd.add("-Dquarkus.grpc.server.port=" + Processes.freePort());
        }
        cmd.add("-Dai.models.repository=" + repository);
        properties.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.addAll(List.of("-jar", "target/quarkus-app/quarkus-run.jar"));
        ProcessBuilder builder = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log(port).toFile());
        builder.environment().putAll(GLIBC_ENV);
        return builder.start();
    }

    public HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> get(String path, String authorization) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Authorization", authorization).build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * GET /api/v1/setup/ai-models/loaded once no request is in flight, nothing is loading or
     * unloading, and the open sessions match the READY models in one view (keep-alive may unload a
     * model at any moment, so the two are read together). A leak never settles: after 30 s the last
     * view is returned to fail on.
     */
    public com.fasterxml.jackson.databind.JsonNode settledResidents() throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        long deadline = System.currentTimeMillis() + 30_000;
        while (true) {
            com.fasterxml.jackson.databind.JsonNode loaded = json.readTree(get("/api/v1/setup/ai-models/loaded").body());
            boolean busy = false;
            for (com.fasterxml.jackson.databind.JsonNode m : loaded.get("models")) {
                busy |= m.get("in_flight").asInt() > 0 || !m.get("state").asText().equals("READY");
            }
            if (!busy && loaded.get("sessions_open").asLong() == readyIn(loaded) || System.currentTimeMillis() > deadline) {
                return loaded;
            }
            Thread.sleep(100);
        }
    }

    /** The READY models in a /loaded view. */
    public static long readyIn(com.fasterxml.jackson.databind.JsonNode loaded) {
        long ready = 0;
        for (com.fasterxml.jackson.databind.JsonNode m : loaded.get("models")) {
            ready += m.get("state").asText().equals("READY") ? 1 : 0;
        }
        return ready;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
