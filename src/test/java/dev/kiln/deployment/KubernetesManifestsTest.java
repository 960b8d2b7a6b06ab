package dev.kiln.deployment;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.testing.Processes;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Renders each overlay with kubectl kustomize and parses every object strictly. */
class KubernetesManifestsTest {

    static Map<String, Object> render(String overlay) throws Exception {
        Processes.Result r = Processes.run(List.of("kubectl", "kustomize", "k8s/overlays/" + overlay), null, 60);
        assertEquals(0, r.exitCode(), r.output());
        Map<String, Object> byKind = new HashMap<>();
        for (JsonNode doc : StrictKubernetesParser.documents(r.output())) {
            byKind.put(doc.get("kind").asText(), StrictKubernetesParser.parse(doc));
        }
        return byKind;
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void overlayRendersAndEveryObjectParsesStrictly(String overlay) throws Exception {
        Map<String, Object> objects = render(overlay);
        assertEquals(List.of("ConfigMap", "Deployment", "HorizontalPodAutoscaler", "PersistentVolumeClaim",
                "PodDisruptionBudget", "PrometheusRule", "Secret", "Service", "ServiceMonitor"),
                objects.keySet().stream().sorted().toList());
        Deployment d = (Deployment) objects.get("Deployment");
        Container c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertEquals("/q/health/started", c.getStartupProbe().getHttpGet().getPath());
        assertEquals("/q/health/ready", c.getReadinessProbe().getHttpGet().getPath());
        assertEquals("/q/health/live", c.getLivenessProbe().getHttpGet().getPath());
        assertTrue(c.getStartupProbe().getFailureThreshold() * c.getStartupProbe().getPeriodSeconds() >= 300,
                "startup probe allows a slow warm-up");
        assertEquals(Boolean.FALSE, c.getSecurityContext().getAllowPrivilegeEscalation());
        assertEquals(Boolean.TRUE, c.getSecurityContext().getReadOnlyRootFilesystem());
        assertEquals(Boolean.TRUE, d.getSpec().getTemplate().getSpec().getSecurityContext().getRunAsNonRoot());
        assertTrue(c.getResources().getLimits().containsKey("memory"));
        assertEquals("kiln-admin", c.getEnvFrom().get(1).getSecretRef().getName());
        assertEquals("/models", c.getVolumeMounts().get(0).getMountPath());
        assertEquals("kiln", d.getMetadata().getNamespace());
    }

    /**
     * The pod's memory limit holds the Java heap, the models' budget and what runs take while they run
     * (plus the JVM's and ONNX Runtime's own): a heap share and a budget that fill the limit between
     * them leave the kernel to kill the pod at the first large request. A quarter of the limit at
     * least stays for the rest (one 64 x 512-token request to the fp32 MiniLM takes 1.8 GB while it runs).
     */
    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void heapAndModelBudgetLeaveRoomForRuns(String overlay) throws Exception {
        Map<String, Object> objects = render(overlay);
        Container c = ((Deployment) objects.get("Deployment")).getSpec().getTemplate().getSpec().getContainers().get(0);
        long limit = io.fabric8.kubernetes.api.model.Quantity.getAmountInBytes(c.getResources().getLimits().get("memory")).longValueExact();
        String javaOptions = c.getEnv().stream().filter(e -> e.getName().equals("JAVA_TOOL_OPTIONS")).findFirst().orElseThrow().getValue();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("-XX:MaxRAMPercentage=(\\d+)").matcher(javaOptions);
        assertTrue(m.find(), javaOptions);
        for (String dockerfile : List.of("deployment/Dockerfile.jvm", "deployment/Dockerfile.gpu")) {
            String entrypoint = Files.readAllLines(Path.of(dockerfile)).stream().dropWhile(l -> !l.startsWith("ENTRYPOINT"))
                    .collect(java.util.stream.Collectors.joining("\n"));
            assertTrue(!entrypoint.isEmpty() && !entrypoint.contains("MaxRAMPercentage"),
                    dockerfile + ": a heap size on the command line wins over the Deployment's JAVA_TOOL_OPTIONS: " + entrypoint);
        }
        long heap = limit * Integer.parseInt(m.group(1)) / 100;
        String budget = ((io.fabric8.kubernetes.api.model.ConfigMap) objects.get("ConfigMap")).getData().get("AI_MODELS_MEMORY_BUDGET_BYTES");
        long models = budget == null ? (limit - heap) * 60 / 100 : Long.parseLong(budget);
        assertTrue(heap + models <= limit * 3 / 4, overlay + ": heap " + (heap >> 20) + " MiB + model budget " + (models >> 20)
                + " MiB leave less than a quarter of the " + (limit >> 20) + " MiB limit for runs");
    }

    @Test
    void gpuOverlayAsksForAGpuAndPrefersCuda() throws Exception {
        Map<String, Object> objects = render("gpu");
        Deployment d = (Deployment) objects.get("Deployment");
        Container c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertEquals("1", c.getResources().getLimits().get("nvidia.com/gpu").getAmount());
        assertTrue(c.getImage().endsWith(":0.1.0-gpu"), c.getImage());
        assertEquals("true", d.getSpec().getTemplate().getSpec().getNodeSelector().get("nvidia.com/gpu.present"));
        assertEquals("nvidia.com/gpu", d.getSpec().getTemplate().getSpec().getTolerations().get(0).getKey());
        io.fabric8.kubernetes.api.model.ConfigMap cm = (io.fabric8.kubernetes.api.model.ConfigMap) objects.get("ConfigMap");
        assertEquals("cuda,cpu", cm.getData().get("AI_MODELS_EXECUTION_PROVIDERS"));
        assertEquals("cpu", ((io.fabric8.kubernetes.api.model.ConfigMap) render("cpu").get("ConfigMap"))
                .getData().get("AI_MODELS_EXECUTION_PROVIDERS"));
    }

    @Test
    void aMisspeltFieldFailsTheParse() throws Exception {
        String deployment = Files.readString(Path.of("k8s/base/deployment.yaml"))
                .replace("  revisionHistoryLimit: 3", "  revisionHistoryLimit: 3\n  replicaz: 2");
        JsonNode doc = StrictKubernetesParser.documents(deployment).get(0);
        AssertionError e = assertThrows(AssertionError.class, () -> StrictKubernetesParser.parse(doc));
        assertTrue(e.getMessage().contains("replicaz"), e.getMessage());
        String probe = Files.readString(Path.of("k8s/base/deployment.yaml")).replace("failureThreshold: 60", "failureTreshold: 60");
        AssertionError e2 = assertThrows(AssertionError.class,
                () -> StrictKubernetesParser.parse(StrictKubernetesParser.documents(probe).get(0)));
        assertTrue(e2.getMessage().contains("failureTreshold"), e2.getMessage());
    }

    /** gRPC is reachable in the cluster: the container and the Service both carry port 9000, named grpc. */
    @Test
    void grpcPortIsExposed() throws Exception {
        Map<String, Object> objects = render("cpu");
        var service = (io.fabric8.kubernetes.api.model.Service) objects.get("Service");
        assertTrue(service.getSpec().getPorts().stream().anyMatch(p -> "grpc".equals(p.getName()) && p.getPort() == 9000),
                "Service ports: " + service.getSpec().getPorts());
        var deployment = (io.fabric8.kubernetes.api.model.apps.Deployment) objects.get("Deployment");
        assertTrue(deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getPorts().stream()
                .anyMatch(p -> "grpc".equals(p.getName()) && p.getContainerPort() == 9000), "container ports");
    }

    @Test
    void prometheusRuleCarriesTheSameRulesAsAlertsYml() throws Exception {
        JsonNode alerts = StrictKubernetesParser.YAML.readTree(Path.of("deployment/prometheus/alerts.yml").toFile());
        JsonNode rule = StrictKubernetesParser.YAML.readTree(Path.of("k8s/base/prometheusrule.yaml").toFile());
        assertEquals(alerts.get("groups"), rule.get("spec").get("groups"));
        PrometheusRule typed = (PrometheusRule) render("cpu").get("PrometheusRule");
        assertEquals(8, typed.getSpec().getGroups().get(0).getRules().size());
    }

    // KEDA's ScaledObject has no fabric8 model either: records of the fields Kiln's overlay uses, read strictly.
    record ScaledObject(String apiVersion, String kind, ObjectMeta metadata, ScaledObjectSpec spec) {
    }

    record ScaledObjectSpec(ScaleTarget scaleTargetRef, Integer minReplicaCount, Integer maxReplicaCount, Integer pollingInterval,
                            Integer cooldownPeriod, Advanced advanced, List<Trigger> triggers) {
    }

    record ScaleTarget(String name) {
    }

    record Advanced(HpaConfig horizontalPodAutoscalerConfig) {
    }

    record HpaConfig(io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBehavior behavior) {
    }

    record Trigger(String type, String metricType, Map<String, String> metadata) {
    }

    /** The KEDA overlay: the base's objects less its CPU HPA, plus a ScaledObject on the queue gauge, all parsed strictly. */
    @Test
    void kedaOverlayScalesOnTheQueueInsteadOfTheCpuHpa() throws Exception {
        Processes.Result r = Processes.run(List.of("kubectl", "kustomize", "k8s/overlays/keda"), null, 60);
        assertEquals(0, r.exitCode(), r.output());
        Map<String, Object> byKind = new HashMap<>();
        ScaledObject scaled = null;
        for (JsonNode doc : StrictKubernetesParser.documents(r.output())) {
            if (doc.get("kind").asText().equals("ScaledObject")) {
                scaled = StrictKubernetesParser.YAML.treeToValue(doc, ScaledObject.class);
            } else {
                byKind.put(doc.get("kind").asText(), StrictKubernetesParser.parse(doc));
            }
        }
        assertEquals(List.of("ConfigMap", "Deployment", "PersistentVolumeClaim", "PodDisruptionBudget", "PrometheusRule", "Secret",
                "Service", "ServiceMonitor"), byKind.keySet().stream().sorted().toList(), "no second HPA to fight KEDA's");
        assertTrue(scaled != null, "a ScaledObject");
        assertEquals("keda.sh/v1alpha1", scaled.apiVersion());
        assertEquals("kiln", scaled.metadata().getNamespace());
        Deployment d = (Deployment) byKind.get("Deployment");
        assertEquals(d.getMetadata().getName(), scaled.spec().scaleTargetRef().name());
        var hpa = (io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler) render("cpu").get("HorizontalPodAutoscaler");
        assertEquals(hpa.getSpec().getMinReplicas(), scaled.spec().minReplicaCount());
        assertEquals(hpa.getSpec().getMaxReplicas(), scaled.spec().maxReplicaCount());
        Trigger queue = scaled.spec().triggers().get(0);
        assertEquals("prometheus", queue.type());
        assertEquals(java.util.Set.of("serverAddress", "query", "threshold"), queue.metadata().keySet());
        assertTrue(queue.metadata().get("query").contains("ai_models_requests_waiting"), queue.metadata().get("query"));
        assertTrue(Integer.parseInt(queue.metadata().get("threshold")) > 0);
        StrictKubernetesParser.requireNoUnknownFields(scaled.spec().advanced().horizontalPodAutoscalerConfig().behavior(), "ScaledObject.behavior");
    }

    /** The README's HPA on the queue (through prometheus-adapter) is a valid HorizontalPodAutoscaler. */
    @Test
    void readmeHpaOnTheQueueParsesStrictly() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        int at = readme.indexOf("kind: HorizontalPodAutoscaler");
        assertTrue(at > 0, "the README shows the HPA variant");
        int start = readme.lastIndexOf("```yaml\n", at) + "```yaml\n".length();
        String yaml = readme.substring(start, readme.indexOf("```", at));
        var hpa = (io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler)
                StrictKubernetesParser.parse(StrictKubernetesParser.documents(yaml).get(0));
        var pods = hpa.getSpec().getMetrics().stream().filter(m -> "Pods".equals(m.getType())).findFirst().orElseThrow();
        assertEquals("ai_models_requests_waiting", pods.getPods().getMetric().getName());
        assertEquals("kiln", hpa.getSpec().getScaleTargetRef().getName());
    }

    // KServe's CRDs have no fabric8 model: these records mirror the fields Kiln's manifests use,
    // and the strict mapper refuses any other field; containers and resources are fabric8 types.
    record ServingRuntime(String apiVersion, String kind, ObjectMeta metadata, ServingRuntimeSpec spec) {
    }

    record ServingRuntimeSpec(Map<String, String> annotations, List<ModelFormat> supportedModelFormats,
                              List<String> protocolVersions, Boolean multiModel, List<Container> containers) {
    }

    record ModelFormat(String name, String version, Boolean autoSelect, Integer priority) {
    }

    record InferenceService(String apiVersion, String kind, ObjectMeta metadata, IsvcSpec spec) {
    }

    record IsvcSpec(Predictor predictor) {
    }

    record Predictor(PredictorModel model) {
    }

    record PredictorModel(ModelFormatName modelFormat, String runtime, String protocolVersion, String storageUri,
                          ResourceRequirements resources) {
    }

    record ModelFormatName(String name) {
    }

    @Test
    void kserveRuntimeAndExampleParseStrictly() throws Exception {
        ServingRuntime rt = StrictKubernetesParser.YAML.readValue(Path.of("k8s/kserve/clusterservingruntime.yaml").toFile(), ServingRuntime.class);
        assertEquals("serving.kserve.io/v1alpha1", rt.apiVersion());
        assertEquals("ClusterServingRuntime", rt.kind());
        assertEquals("onnx", rt.spec().supportedModelFormats().get(0).name());
        assertEquals(List.of("v2", "grpc-v2"), rt.spec().protocolVersions());
        assertTrue(rt.spec().containers().get(0).getPorts().stream().anyMatch(p -> "h2c".equals(p.getName()) && p.getContainerPort() == 9000),
                "the gRPC port, named h2c as KServe expects");
        StrictKubernetesParser.requireNoUnknownFields(rt.spec().containers(), "ClusterServingRuntime.containers");
        InferenceService isvc = StrictKubernetesParser.YAML.readValue(Path.of("k8s/kserve/inferenceservice-example.yaml").toFile(), InferenceService.class);
        assertEquals("serving.kserve.io/v1beta1", isvc.apiVersion());
        assertEquals(rt.metadata().getName(), isvc.spec().predictor().model().runtime());
        assertEquals("onnx", isvc.spec().predictor().model().modelFormat().name());
        StrictKubernetesParser.requireNoUnknownFields(isvc.spec().predictor().model().resources(), "InferenceService.resources");
    }
}
