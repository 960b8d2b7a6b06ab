package dev.kiln.deployment;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The container of the rendered Deployment ({@code kubectl kustomize k8s/overlays/cpu}) as a
 * {@code podman run}: what the kubelet would apply, read from the manifest itself so the test
 * follows the manifest. User and group, read-only root, no privilege escalation, dropped
 * capabilities, the ConfigMap and Secret as environment, the env list, the persistent volume as a
 * named volume, emptyDir as a tmpfs of its size limit, memory and CPU limits, ports, and the grace
 * period for {@code podman stop}. Ports are published on 127.0.0.1 only, on ports podman picks.
 */
final class DeploymentContainer {

    final Deployment deployment;
    final ConfigMap config;
    final Container container;
    final PodSpec pod;

    private DeploymentContainer(Deployment deployment, ConfigMap config) {
        this.deployment = deployment;
        this.config = config;
        this.pod = deployment.getSpec().getTemplate().getSpec();
        this.container = pod.getContainers().get(0);
    }

    static DeploymentContainer rendered(String overlay) throws Exception {
        Map<String, Object> objects = KubernetesManifestsTest.render(overlay);
        return new DeploymentContainer((Deployment) objects.get("Deployment"), (ConfigMap) objects.get("ConfigMap"));
    }

    int gracePeriodSeconds() {
        return pod.getTerminationGracePeriodSeconds().intValue();
    }

    int containerPort(String name) {
        return container.getPorts().stream().filter(p -> name.equals(p.getName())).findFirst().orElseThrow().getContainerPort();
    }

    /** The environment: ConfigMap first, then the Secret (its value given here), then the env list, as the kubelet orders them. */
    Map<String, String> environment(Map<String, String> secretData) {
        Map<String, String> env = new LinkedHashMap<>();
        for (EnvFromSource from : container.getEnvFrom()) {
            if (from.getConfigMapRef() != null) {
                if (!from.getConfigMapRef().getName().equals(config.getMetadata().getName())) {
                    throw new AssertionError("the Deployment reads a ConfigMap the overlay does not render: " + from);
                }
                env.putAll(config.getData());
            } else if (from.getSecretRef() != null) {
                env.putAll(secretData);
            }
        }
        for (EnvVar v : container.getEnv()) {
            env.put(v.getName(), v.getValue());
        }
        return env;
    }

    /**
     * {@code podman run -d} arguments for this container: {@code volumes} maps a volume name of the
     * pod to a podman volume, {@code extra} adds arguments (bind mounts, extra environment) before the image.
     */
    List<String> runArguments(String name, String image, Map<String, String> volumes, Map<String, String> secretData,
                              List<String> extra) {
        List<String> args = new ArrayList<>(List.of("run", "-d", "--name", name));
        PodSecurityContext podSecurity = pod.getSecurityContext();
        args.addAll(List.of("--user", podSecurity.getRunAsUser() + ":" + podSecurity.getRunAsGroup()));
        SecurityContext security = container.getSecurityContext();
        if (Boolean.TRUE.equals(security.getReadOnlyRootFilesystem())) {
            args.addAll(List.of("--read-only", "--read-only-tmpfs=false"));
        }
        if (Boolean.FALSE.equals(security.getAllowPrivilegeEscalation())) {
            args.addAll(List.of("--security-opt", "no-new-privileges"));
        }
        for (String cap : security.getCapabilities().getDrop()) {
            args.addAll(List.of("--cap-drop", cap));
        }
        environment(secretData).forEach((k, v) -> args.addAll(List.of("-e", k + "=" + v)));
        for (VolumeMount mount : container.getVolumeMounts()) {
            Volume volume = pod.getVolumes().stream().filter(v -> v.getName().equals(mount.getName())).findFirst().orElseThrow();
            if (volume.getEmptyDir() != null) {
                args.addAll(List.of("--tmpfs", mount.getMountPath() + ":rw,mode=1777,size=" + bytes(volume.getEmptyDir().getSizeLimit())));
            } else {
                args.addAll(List.of("-v", volumes.get(mount.getName()) + ":" + mount.getMountPath()));
            }
        }
        Map<String, Quantity> limits = container.getResources().getLimits();
        args.addAll(List.of("--memory", String.valueOf(bytes(limits.get("memory")))));
        double cpus = Math.min(Quantity.getAmountInBytes(limits.get("cpu")).doubleValue(), Runtime.getRuntime().availableProcessors());
        args.addAll(List.of("--cpus", String.valueOf(cpus)));
        container.getPorts().forEach(p -> args.addAll(List.of("-p", "127.0.0.1::" + p.getContainerPort())));
        args.addAll(extra);
        args.add(image);
        return args;
    }

    private static long bytes(Quantity q) {
        return Quantity.getAmountInBytes(q).longValue();
    }
}
