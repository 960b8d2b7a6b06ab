package dev.kiln.deployment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.testing.Processes;
import inference.GRPCInferenceServiceGrpc;
import inference.ServerLiveRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The rendered CPU overlay's pod under {@code podman kube play}: its ConfigMap, Secret,
 * PersistentVolumeClaim and Deployment, with the image built from this repository. What podman
 * 4.3 (Debian 12) does not do is adapted here, and the README says so: it ignores {@code kind:
 * Secret} (the Secret becomes a podman secret in the JSON form 4.3 reads), and it publishes
 * container ports on the host (a free {@code hostPort} each, as this machine is shared). Names get
 * a suffix so runs do not collide. The pod must start with the ConfigMap's settings and the
 * Secret's token, as uid 10001 on a read-only root with no capabilities, its volume seeded with
 * the demo models, and answer on every probe path of the manifest and on gRPC.
 * Not applied by podman 4.3 and so not tested here: the startup and readiness probes (ignored), the
 * liveness probe (becomes a HEALTHCHECK running curl on port 0), terminationGracePeriodSeconds
 * (stop timeout 10 s), emptyDir's size limit (a volume, not a tmpfs).
 */
class KubePlayIT {

    static final ObjectMapper YAML = StrictKubernetesParser.YAML;
    static final String TOKEN = "kube-play-token";

    final String suffix = "-it-" + ProcessHandle.current().pid();
    final HttpClient http = HttpClient.newHttpClient();

    @Test
    void theRenderedDeploymentsPodStartsUnderKubePlay() throws Exception {
        String image = Images.jvm();
        Processes.Result rendered = Processes.run(List.of("kubectl", "kustomize", "k8s/overlays/cpu"), null, 60);
        assertEquals(0, rendered.exitCode(), rendered.output());
        Map<String, ObjectNode> byKind = new LinkedHashMap<>();
        for (JsonNode doc : StrictKubernetesParser.documents(rendered.output())) {
            byKind.put(doc.get("kind").asText(), (ObjectNode) doc);
        }
        ObjectNode deployment = byKind.get("Deployment");
        ObjectNode container = (ObjectNode) deployment.at("/spec/template/spec/containers/0");
        String configMap = rename(byKind.get("ConfigMap"));
        String claim = rename(byKind.get("PersistentVolumeClaim"));
        String secret = byKind.get("Secret").at("/metadata/name").asText() + suffix;
        String name = rename(deployment);
        ((ObjectNode) deployment.get("spec")).put("replicas", 1);
        container.put("image", image);
        for (JsonNode from : container.get("envFrom")) {
            ObjectNode ref = (ObjectNode) (from.has("configMapRef") ? from.get("configMapRef") : from.get("secretRef"));
            ref.put("name", from.has("configMapRef") ? configMap : secret);
        }
        for (JsonNode volume : deployment.at("/spec/template/spec/volumes")) {
            if (volume.has("persistentVolumeClaim")) {
                ((ObjectNode) volume.get("persistentVolumeClaim")).put("claimName", claim);
            }
        }
        Map<String, Integer> hostPorts = new LinkedHashMap<>();
        for (JsonNode port : container.get("ports")) {
            int free = Processes.freePort();
            ((ObjectNode) port).put("hostPort", free);
            hostPorts.put(port.get("name").asText(), free);
        }
        Path play = Files.createTempFile("kiln-kube-play", ".yaml");
        StringBuilder yaml = new StringBuilder();
        for (ObjectNode doc : List.of(byKind.get("ConfigMap"), byKind.get("PersistentVolumeClaim"), deployment)) {
            yaml.append(YAML.writeValueAsString(doc));
        }
        Files.writeString(play, yaml);
        Path secretFile = Files.createTempFile("kiln-kube-play-secret", ".json");
        // podman 4.3 reads a secret for envFrom as a JSON map of key to base64 value.
        Files.writeString(secretFile, new ObjectMapper().writeValueAsString(Map.of("AI_MODELS_ADMIN_TOKEN",
                Base64.getEncoder().encodeToString(TOKEN.getBytes(StandardCharsets.UTF_8)))));
        String pod = name + "-pod-0";
        try {
            Podman.ok("secret", "create", secret, secretFile.toString());
            Podman.ok("kube", "play", play.toString());
            int port = hostPorts.get("http");
            awaitStarted(pod + "-" + container.get("name").asText(), port, container.at("/startupProbe"));
            for (String probe : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
                String path = container.at("/" + probe + "/httpGet/path").asText();
                assertEquals(200, get(port, path, null).statusCode(), probe + " " + path);
            }
            checkSecurityContext(pod + "-" + container.get("name").asText());
            JsonNode loaded = YAML.readTree(get(port, "/api/v1/setup/ai-models/loaded", null).body());
            assertEquals(byKind.get("ConfigMap").at("/data/AI_MODELS_MEMORY_BUDGET_BYTES").asLong(), loaded.get("budget_bytes").asLong(),
                    "the ConfigMap's budget reached Kiln: " + loaded);
            String unload = "/v2/repository/models/ppocr-cls/unload";
            assertEquals(401, post(port, unload, null).statusCode(), "no token, no admin call");
            assertEquals(200, post(port, unload, "Bearer " + TOKEN).statusCode(), "the Secret's token reached Kiln");
            JsonNode index = YAML.readTree(post(port, "/v2/repository/index", null).body());
            assertEquals(6, index.size(), "the claim's volume was seeded with the demo models and the ppocr pipeline: " + index);
            grpcLive(hostPorts.get("grpc"));
        } finally {
            Podman.run(300, "kube", "down", play.toString());
            Podman.run(60, "secret", "rm", secret);
            Podman.removeVolumes(claim);
            Files.deleteIfExists(play);
            Files.deleteIfExists(secretFile);
        }
    }

    /** Gives an object a name of this run; returns it. */
    String rename(ObjectNode object) {
        String name = object.at("/metadata/name").asText() + suffix;
        ((ObjectNode) object.get("metadata")).put("name", name);
        return name;
    }

    void awaitStarted(String container, int port, JsonNode startupProbe) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(
                startupProbe.get("periodSeconds").asLong() * startupProbe.get("failureThreshold").asLong());
        while (System.nanoTime() < deadline) {
            try {
                if (get(port, startupProbe.at("/httpGet/path").asText(), null).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the pod did not start:\n" + Podman.run(60, "logs", container).output());
    }

    static void checkSecurityContext(String container) throws Exception {
        assertEquals("true", Podman.ok("inspect", "--format", "{{.HostConfig.ReadonlyRootfs}}", container));
        long pid = Long.parseLong(Podman.ok("inspect", "--format", "{{.State.Pid}}", container));
        String status = Files.readString(Path.of("/proc/" + pid + "/status"));
        assertTrue(status.lines().anyMatch(l -> l.matches("Uid:\\s+10001\\s+10001\\s+10001\\s+10001")), status);
        assertTrue(status.lines().anyMatch(l -> l.equals("CapEff:\t0000000000000000")), status);
        assertTrue(status.lines().anyMatch(l -> l.matches("NoNewPrivs:\\s+1")), status);
    }

    static void grpcLive(int port) throws Exception {
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        try {
            assertTrue(GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .serverLive(ServerLiveRequest.getDefaultInstance()).getLive());
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    HttpResponse<String> get(int port, String path, String authorization) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(int port, String path, String authorization) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}"));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
