package dev.kiln.deployment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.testing.Processes;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every rendered manifest (both overlays, the KServe runtime and its example) against the
 * Kubernetes OpenAPI schemas, with kubernetes-models' generated validators (npm; see
 * src/test/node/validate-manifests.mjs): types, required fields, enumerations and quantities.
 * Unknown fields are {@link KubernetesManifestsTest}'s job (the schemas allow them; the API server's
 * strict field validation does not).
 */
class KubernetesSchemaTest {

    static final Path NODE = Path.of("src/test/node");
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void installValidators() throws Exception {
        if (!Files.isDirectory(NODE.resolve("node_modules/kubernetes-models"))) {
            Processes.Result npm = Processes.run(List.of("npm", "ci", "--prefix", NODE.toString(), "--no-audit", "--no-fund"), null, 600);
            assertEquals(0, npm.exitCode(), "npm ci --prefix src/test/node:\n" + npm.output());
        }
    }

    static Processes.Result validate(List<JsonNode> objects) throws Exception {
        return Processes.run(List.of("node", NODE.resolve("validate-manifests.mjs").toString()), JSON.writeValueAsString(objects), 120);
    }

    static List<JsonNode> rendered(String overlay) throws Exception {
        Processes.Result r = Processes.run(List.of("kubectl", "kustomize", "k8s/overlays/" + overlay), null, 60);
        assertEquals(0, r.exitCode(), r.output());
        return StrictKubernetesParser.documents(r.output());
    }

    @Test
    void everyRenderedManifestValidates() throws Exception {
        List<JsonNode> objects = new ArrayList<>(rendered("cpu"));
        objects.addAll(rendered("gpu"));
        for (String file : List.of("k8s/kserve/clusterservingruntime.yaml", "k8s/kserve/inferenceservice-example.yaml")) {
            objects.addAll(StrictKubernetesParser.documents(Files.readString(Path.of(file))));
        }
        Processes.Result r = validate(objects);
        assertEquals(0, r.exitCode(), r.output());
        assertEquals(objects.size(), r.output().lines().filter(l -> l.startsWith("ok ")).count(), r.output());
        assertEquals(20, objects.size(), "9 objects per overlay, 2 KServe objects: " + r.output());
    }

    /** The KEDA overlay: the base's objects less the CPU HPA, plus the ScaledObject's Kubernetes parts. */
    @Test
    void theKedaOverlayValidates() throws Exception {
        List<JsonNode> objects = rendered("keda");
        Processes.Result r = validate(objects);
        assertEquals(0, r.exitCode(), r.output());
        assertEquals(9, r.output().lines().filter(l -> l.startsWith("ok ")).count(), r.output());
        assertTrue(r.output().contains("ok keda.sh/v1alpha1 ScaledObject kiln"), r.output());
        String broken = Files.readString(Path.of("k8s/overlays/keda/scaledobject.yaml"))
                .replace("stabilizationWindowSeconds: 300", "stabilizationWindowSeconds: \"5m\"");
        Processes.Result b = validate(StrictKubernetesParser.documents(broken));
        assertEquals(1, b.exitCode(), b.output());
    }

    @Test
    void aWrongTypeOrAMissingFieldIsRefused() throws Exception {
        String deployment = Files.readString(Path.of("k8s/base/deployment.yaml"))
                .replace("containerPort: 8000", "containerPort: \"8000\"")
                .replace("        - name: kiln\n          image:", "        - image:");
        Processes.Result r = validate(StrictKubernetesParser.documents(deployment));
        assertEquals(1, r.exitCode(), r.output());
        assertTrue(r.output().contains("containerPort must be integer"), r.output());
        assertTrue(r.output().contains("must have required property name"), r.output());
        String runtime = Files.readString(Path.of("k8s/kserve/clusterservingruntime.yaml")).replace("memory: 4Gi", "memory: 4 GiB");
        Processes.Result k = validate(StrictKubernetesParser.documents(runtime));
        assertEquals(1, k.exitCode(), k.output());
        assertTrue(k.output().contains("spec.containers[0]: data/resources/limits/memory must be number, data/resources/limits/memory must match format \"quantity\""), k.output());
    }
}
