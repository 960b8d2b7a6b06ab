import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The training run behind Kiln's JDK 25 AOT cache (JEP 483/514): starts Kiln with the command
 * given after {@code --} (which carries {@code -XX:AOTCacheOutput=<file>}), on a copy of a model
 * repository and on free ports, does what clients and Kubernetes do first (probes, V2 JSON and
 * binary inference, /v1/embeddings, a Prometheus scrape, management reads, an admin call), then
 * stops it with SIGTERM. The JVM writes the cache as it exits: the classes it loaded and linked
 * and the profiles of the methods it ran, so a later start with {@code -XX:AOTCache=<file>}
 * skips that work. Plain JDK, no dependencies: it runs in the JVM image's build, on the image's
 * own JRE (a cache only fits the JVM that made it), and on a workstation as a source file:
 *
 *   java deployment/aot/AotTraining.java target/demo-models -- \
 *     java -XX:AOTCacheOutput=target/aot/app.aot -jar target/aot/quarkus-run.jar
 */
public final class AotTraining {

    private static final String TOKEN = "aot-training";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public static void main(String[] args) throws Exception {
        int dashes = List.of(args).indexOf("--");
        if (dashes != 1 || args.length < 4) {
            System.err.println("usage: AotTraining <model repository> -- java -XX:AOTCacheOutput=<file> [options] -jar <quarkus-run.jar>");
            System.exit(2);
        }
        Path repository = copyOf(Path.of(args[0]));
        int port = freePort();
        List<String> command = kilnCommand(List.of(args).subList(2, args.length), repository, port, freePort());
        Process kiln = new ProcessBuilder(command).inheritIO().start();
        String base = "http://127.0.0.1:" + port;
        try {
            awaitStarted(kiln, base);
            serve(base);
        } finally {
            kiln.destroy();                                   // SIGTERM: Kiln's orderly stop, then the JVM writes the cache
            if (!kiln.waitFor(10, TimeUnit.MINUTES)) {
                kiln.destroyForcibly();
            }
            deleteTree(repository);
        }
        Path cache = cacheFile(command);
        if (!Files.isRegularFile(cache) || Files.size(cache) == 0) {
            System.err.println("AotTraining: no AOT cache at " + cache + " (Kiln exited with " + kiln.exitValue() + ")");
            System.exit(1);
        }
        System.out.printf("AotTraining: %s, %d MB (Kiln exited with %d)%n", cache, Files.size(cache) >> 20, kiln.exitValue());
    }

    /** The given command with the training's repository, ports and a stop without the pre-stop delay, before -jar. */
    static List<String> kilnCommand(List<String> given, Path repository, int httpPort, int grpcPort) {
        int jar = given.indexOf("-jar");
        if (jar < 0) {
            throw new IllegalArgumentException("the command must run Kiln with -jar: " + given);
        }
        List<String> command = new ArrayList<>(given.subList(0, jar));
        command.add("-Dquarkus.http.port=" + httpPort);
        command.add("-Dquarkus.grpc.server.port=" + grpcPort);
        command.add("-Dai.models.repository=" + repository);
        command.add("-Dai.models.admin-token=" + TOKEN);
        command.add("-Dquarkus.shutdown.delay=0s");
        command.addAll(given.subList(jar, given.size()));
        return command;
    }

    static Path cacheFile(List<String> command) {
        return command.stream().filter(a -> a.startsWith("-XX:AOTCacheOutput=")).findFirst()
                .map(a -> Path.of(a.substring(a.indexOf('=') + 1)))
                .orElseThrow(() -> new IllegalArgumentException("the command must carry -XX:AOTCacheOutput=<file>"));
    }

    static void awaitStarted(Process kiln, String base) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (System.nanoTime() < deadline) {
            if (!kiln.isAlive()) {
                throw new IllegalStateException("Kiln exited with " + kiln.exitValue() + " before it started");
            }
            try {
                if (get(base, "/q/health/started").statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("Kiln did not start within 5 minutes");
    }

    /** What a client and the cluster do in a pod's first minute, each path several times (profiles need repeats). */
    static void serve(String base) throws Exception {
        for (String path : List.of("/q/health/ready", "/q/health/live", "/v2", "/v2/health/ready", "/v2/models/all-minilm-l6-v2-q",
                "/v1/models", "/api/v1/setup/models/status", "/api/v1/setup/dependencies/health", "/api/v1/setup/ai-models/loaded",
                "/api/v1/setup/ai-models/telemetry", "/api/v1/setup/status", "/q/openapi", "/")) {
            expect(200, get(base, path), path);
        }
        String json = "{\"inputs\": [" + int64("input_ids", 101, 7592, 2088, 102) + ", " + int64("attention_mask", 1, 1, 1, 1)
                + ", " + int64("token_type_ids", 0, 0, 0, 0) + "]}";
        for (int i = 0; i < 200; i++) {
            expect(200, post(base, "/v2/models/all-minilm-l6-v2-q/infer", "application/json", json.getBytes(StandardCharsets.UTF_8), null), "V2 JSON");
            expect(200, binaryInfer(base), "V2 binary");
            expect(200, post(base, "/v1/embeddings", "application/json",
                    ("{\"model\": \"all-minilm-l6-v2-q\", \"input\": [\"Kiln keeps models hot.\", \"sentence " + i + "\"]}")
                            .getBytes(StandardCharsets.UTF_8), null), "/v1/embeddings");
            if (i % 20 == 0) {
                expect(200, get(base, "/q/metrics"), "/q/metrics");
                expect(200, getWith(base, "/q/metrics", "text/plain; version=0.0.4"), "/q/metrics text");
                expect(200, get(base, "/q/health/ready"), "/q/health/ready");
            }
        }
        expect(200, post(base, "/api/v1/setup/ai-models/warm-up", "application/json", new byte[0], "Bearer " + TOKEN), "warm-up");
    }

    static String int64(String name, long... values) {
        StringBuilder data = new StringBuilder();
        for (long v : values) {
            data.append(data.length() == 0 ? "" : ", ").append(v);
        }
        return "{\"name\": \"" + name + "\", \"datatype\": \"INT64\", \"shape\": [1, " + values.length + "], \"data\": [" + data + "]}";
    }

    /** The same request in the V2 binary tensor extension: a JSON header, then the raw little-endian tensors. */
    static HttpResponse<String> binaryInfer(String base) throws Exception {
        String header = "{\"inputs\": [" + binaryInput("input_ids") + ", " + binaryInput("attention_mask") + ", "
                + binaryInput("token_type_ids") + "], \"outputs\": [{\"name\": \"last_hidden_state\", \"parameters\": {\"binary_data\": true}}]}";
        byte[] head = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer body = ByteBuffer.allocate(head.length + 3 * 4 * 8).order(ByteOrder.LITTLE_ENDIAN).put(head);
        for (long v : new long[] {101, 7592, 2088, 102, 1, 1, 1, 1, 0, 0, 0, 0}) {
            body.putLong(v);
        }
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/v2/models/all-minilm-l6-v2-q/infer"))
                .header("Content-Type", "application/octet-stream")
                .header("Inference-Header-Content-Length", String.valueOf(head.length))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.array())).build();
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }

    static String binaryInput(String name) {
        return "{\"name\": \"" + name + "\", \"datatype\": \"INT64\", \"shape\": [1, 4], \"parameters\": {\"binary_data_size\": 32}}";
    }

    static HttpResponse<String> get(String base, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> getWith(String base, String path, String accept) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).header("Accept", accept).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> post(String base, String path, String type, byte[] body, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", type)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A training run that meets errors would teach the cache the error paths: stop at the first one. */
    static void expect(int status, HttpResponse<String> r, String what) {
        if (r.statusCode() != status) {
            String body = r.body();
            throw new IllegalStateException(what + ": " + r.statusCode() + " " + body.substring(0, Math.min(300, body.length())));
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static Path copyOf(Path repository) throws IOException {
        Path copy = Files.createTempDirectory("kiln-aot-training-");
        try (Stream<Path> files = Files.walk(repository)) {
            for (Path p : files.toList()) {
                Path to = copy.resolve(repository.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(p, to, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        return copy;
    }

    static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
