package dev.kiln.deployment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.testing.PackagedKiln;
import dev.kiln.testing.PrometheusServer;
import dev.kiln.testing.RawHttp;
import dev.kiln.testing.V2;
import inference.GRPCInferenceServiceGrpc;
import inference.ServerLiveRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The JVM image, built with the repository's own {@code deployment/Dockerfile.jvm}, run the way the
 * rendered Kubernetes Deployment runs it (see {@link DeploymentContainer}: uid 10001, read-only root,
 * tmpfs /tmp, a models volume, the admin token from the environment). It must pass the startup,
 * readiness and liveness probes, answer V2 and /v1/embeddings exactly as the packaged jar does,
 * serve gRPC on 9000 and a Prometheus scrape, keep an install in its volume across a restart, and
 * at {@code podman stop} answer every request it had accepted and exit 0 within the grace period.
 * An image that runs as root, writes to its root file system or drops an accepted request fails.
 * The JVM must use the image's AOT cache ({@code -XX:AOTMode=on}: a cache it cannot use is an error).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ContainerIT {

    static final String TOKEN = "container-it-token";
    static final ObjectMapper JSON = new ObjectMapper();
    static final Path SEED = Path.of("target/model-jars/rapidocr/models").toAbsolutePath();
    static final String CLS_FILE = "ch_ppocr_mobile_v2.0_cls_infer.onnx";
    /** About two seconds of detection work on two cores: still queued or running when the stop comes. */
    static final int IN_FLIGHT = 6;

    final String suffix = Long.toString(ProcessHandle.current().pid());
    final String volume = "kiln-it-models-" + suffix;
    final String first = "kiln-it-" + suffix + "-a";
    final String second = "kiln-it-" + suffix + "-b";
    final HttpClient http = HttpClient.newHttpClient();
    DeploymentContainer spec;
    String image;
    int port;
    JsonNode clsAnswerBeforeRestart;

    @BeforeAll
    void buildAndStart() throws Exception {
        image = Images.jvm();
        spec = DeploymentContainer.rendered("cpu");
        Podman.removeContainers(first, second);
        Podman.removeVolumes(volume);
        Podman.ok("volume", "create", volume);
        port = start(first);
    }

    @AfterAll
    void cleanUp() {
        Podman.removeContainers(first, second);
        Podman.removeVolumes(volume);
    }

    /** Starts a container of the image like the Deployment, on the models volume; waits for its startup probe. */
    int start(String name) throws Exception {
        List<String> extra = List.of("-v", SEED + ":/seed:ro", "-e", "AI_MODELS_INSTALL_FILE_ROOTS=/seed",
                "-e", "JDK_JAVA_OPTIONS=-XX:AOTMode=on");
        Podman.ok(spec.runArguments(name, image, Map.of("models", volume), Map.of("AI_MODELS_ADMIN_TOKEN", TOKEN), extra)
                .toArray(String[]::new));
        int http = Podman.hostPort(name, spec.containerPort("http"));
        String started = spec.container.getStartupProbe().getHttpGet().getPath();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(
                (long) spec.container.getStartupProbe().getPeriodSeconds() * spec.container.getStartupProbe().getFailureThreshold());
        while (System.nanoTime() < deadline) {
            assertTrue(Podman.ok("inspect", "--format", "{{.State.Running}}", name).equals("true"),
                    name + " stopped before it started:\n" + Podman.run(60, "logs", name).output());
            try {
                if (get(http, started).statusCode() == 200) {
                    return http;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new AssertionError(name + " did not pass its startup probe:\n" + Podman.run(60, "logs", name).output());
    }

    @Test
    @Order(1)
    void theImageRunsAsANumericNonRootUserAndKeepsItsHealthcheck() throws Exception {
        String user = Podman.ok("image", "inspect", "--format", "{{.Config.User}}", image);
        assertTrue(user.matches("[1-9][0-9]*(:[0-9]+)?"), "USER must be a numeric non-root uid (runAsNonRoot needs one): '" + user + "'");
        assertEquals("10001", user.split(":")[0]);
        assertFalse(Podman.ok("image", "inspect", "--format", "{{json .Config.Healthcheck}}", image).equals("null"),
                "HEALTHCHECK kept (podman build --format docker)");
        assertEquals(0, Podman.run(60, "healthcheck", "run", first).exitCode(), "the image's HEALTHCHECK passes");
    }

    @Test
    @Order(2)
    void itRunsAsUid10001WithNoCapabilitiesAndPassesItsProbes() throws Exception {
        long pid = Long.parseLong(Podman.ok("inspect", "--format", "{{.State.Pid}}", first));
        String status = Files.readString(Path.of("/proc/" + pid + "/status"));
        assertTrue(status.lines().anyMatch(l -> l.matches("Uid:\\s+10001\\s+10001\\s+10001\\s+10001")), status);
        assertTrue(status.lines().anyMatch(l -> l.matches("Gid:\\s+10001\\s+10001\\s+10001\\s+10001")), status);
        assertTrue(status.lines().anyMatch(l -> l.equals("CapEff:\t0000000000000000")), status);
        assertTrue(status.lines().anyMatch(l -> l.matches("NoNewPrivs:\\s+1")), status);
        for (var probe : List.of(spec.container.getStartupProbe(), spec.container.getReadinessProbe(), spec.container.getLivenessProbe())) {
            assertEquals("http", probe.getHttpGet().getPort().getStrVal());
            assertEquals(200, get(port, probe.getHttpGet().getPath()).statusCode(), probe.getHttpGet().getPath());
        }
    }

    @Test
    @Order(3)
    void v2AndEmbeddingsAnswerExactlyAsThePackagedJar() throws Exception {
        String infer = JSON.writeValueAsString(V2.helloWorld());
        String embed = "{\"model\": \"all-minilm-l6-v2-q\", \"input\": [\"Kiln keeps models hot.\", \"Les modèles restent chauds.\"]}";
        JsonNode containerInfer = post(port, "/v2/models/all-minilm-l6-v2-q/infer", infer, null);
        JsonNode containerEmbed = post(port, "/v1/embeddings", embed, null);
        try (PackagedKiln jar = PackagedKiln.start(PackagedKiln.copyOfDemoRepository("container-it-models"),
                Map.of("ai.models.lazy-load", "true"), List.of())) {
            assertEquals(post(jar.port, "/v2/models/all-minilm-l6-v2-q/infer", infer, null).get("outputs"), containerInfer.get("outputs"));
            JsonNode jarEmbed = post(jar.port, "/v1/embeddings", embed, null);
            assertEquals(jarEmbed.get("data"), containerEmbed.get("data"));
            assertEquals(384, containerEmbed.get("data").get(0).get("embedding").size());
        }
    }

    @Test
    @Order(4)
    void grpcServerLiveAnswersOnPort9000() throws Exception {
        assertEquals(9000, spec.containerPort("grpc"));
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", Podman.hostPort(first, 9000)).usePlaintext().build();
        try {
            assertTrue(GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .serverLive(ServerLiveRequest.getDefaultInstance()).getLive());
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    @Order(5)
    void aRealPrometheusScrapesIt() throws Exception {
        PrometheusServer.Scrape scrape = PrometheusServer.scrape(port, "ai_model_inference_requests_total{model=\"all-minilm-l6-v2-q\"}");
        assertTrue(scrape.query().contains("\"value\""), "Prometheus stored Kiln's request counter: " + scrape.query());
        assertTrue(scrape.targets().contains("\"health\":\"up\""), scrape.targets());
    }

    @Test
    @Order(6)
    void anInstallGoesIntoTheVolume() throws Exception {
        String install = "{\"name\": \"cls-copy\", \"url\": \"file:///seed/" + CLS_FILE + "\", \"sha256\": \"" + sha256(SEED.resolve(CLS_FILE))
                + "\", \"category\": \"image\"}";
        JsonNode job = post(port, "/api/v1/setup/ai-models/install?wait=true", install, "Bearer " + TOKEN);
        assertEquals("done", job.get("status").asText(), job.toString());
        clsAnswerBeforeRestart = post(port, "/v2/models/cls-copy/infer", clsRequest(), null).get("outputs");
    }

    @Test
    @Order(7)
    void podmanStopAnswersEveryAcceptedRequestAndExitsZeroWithinTheGracePeriod() throws Exception {
        byte[] body = detRequest();
        List<Socket> inFlight = new ArrayList<>();
        for (int i = 0; i < IN_FLIGHT; i++) {
            Socket s = new Socket("127.0.0.1", port);
            s.setSoTimeout(120_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST /v2/models/ppocr-v4-det/infer HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            inFlight.add(s);
        }
        awaitAccepted(IN_FLIGHT);
        int grace = spec.gracePeriodSeconds();
        long signalled = System.nanoTime();
        CompletableFuture<dev.kiln.testing.Processes.Result> stop = CompletableFuture.supplyAsync(() -> {
            try {
                return Podman.run(grace + 60, "stop", "-t", String.valueOf(grace), first);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        int answered = 0;
        for (Socket s : inFlight) {
            try (s) {
                RawHttp.Reply r = RawHttp.read(s.getInputStream());
                assertEquals(200, r.status(), r.body().length() > 300 ? r.body().substring(0, 300) : r.body());
                assertEquals("[1,1,640,640]", JSON.readTree(r.body()).get("outputs").get(0).get("shape").toString());
                answered++;
            }
        }
        dev.kiln.testing.Processes.Result stopped = stop.get(grace + 90, TimeUnit.SECONDS);
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - signalled);
        String exit = Podman.ok("inspect", "--format", "{{.State.ExitCode}}", first);
        System.out.printf("podman stop: %d of %d accepted requests answered, exit %s after %d s (grace %d s)%n",
                answered, IN_FLIGHT, exit, seconds, grace);
        assertEquals(0, stopped.exitCode(), stopped.output());
        assertEquals(IN_FLIGHT, answered, "every accepted request answered");
        assertEquals("0", exit, "exit code after SIGTERM:\n" + Podman.run(60, "logs", "--tail", "30", first).output());
        assertTrue(seconds < grace, "stopped within the grace period (no SIGKILL): " + seconds + " s");
        assertFalse(stopped.output().contains("SIGKILL"), stopped.output());
    }

    @Test
    @Order(8)
    void theInstallSurvivesARestartOnTheSameVolume() throws Exception {
        port = start(second);
        assertEquals(200, get(port, "/v2/models/cls-copy/ready").statusCode());
        assertEquals(clsAnswerBeforeRestart, post(port, "/v2/models/cls-copy/infer", clsRequest(), null).get("outputs"));
    }

    @Test
    @Order(9)
    void nothingTriedToWriteToTheReadOnlyRoot() throws Exception {
        for (String name : List.of(first, second)) {
            String logs = Podman.run(60, "logs", name).output();
            assertFalse(logs.contains("Read-only file system"), name + " tried to write outside its volumes:\n" + logs);
        }
    }

    HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(java.time.Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    JsonNode post(int port, String path, String body, String authorization) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), path + ": " + r.body());
        return JSON.readTree(r.body());
    }

    /** Until Kiln has counted {@code n} detection requests: each is counted once fully received. */
    void awaitAccepted(int n) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline) {
            double received = get(port, "/q/metrics").body().lines()
                    .filter(l -> l.startsWith("ai_model_transport_requests_total{") && l.contains("model=\"ppocr-v4-det\""))
                    .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
            if (received >= n) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("Kiln did not receive " + n + " detection requests within 60 s");
    }

    static String clsRequest() {
        StringBuilder data = new StringBuilder();
        for (int i = 0; i < 3 * 48 * 192; i++) {
            data.append(i == 0 ? "" : ",").append(i % 5 == 0 ? "0.25" : "0.5");
        }
        return "{\"inputs\": [{\"name\": \"x\", \"datatype\": \"FP32\", \"shape\": [1, 3, 48, 192], \"data\": [" + data + "]}]}";
    }

    static byte[] detRequest() {
        StringBuilder b = new StringBuilder("{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1,3,640,640],\"data\":[");
        for (int i = 0; i < 3 * 640 * 640; i++) {
            b.append(i == 0 ? "" : ",").append(i % 7 == 0 ? "0.25" : "0.5");
        }
        return b.append("]}]}").toString().getBytes(StandardCharsets.UTF_8);
    }

    static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }
}
