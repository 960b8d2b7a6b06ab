package dev.kiln.files;

import java.net.InetAddress;

/**
 * Which process this is among the replicas sharing one repository: the host name (in Kubernetes
 * the pod name, from {@code HOSTNAME}) and the process id, as {@code kiln-6d5f8-x2v9q/1}. It is
 * written into the lock files this process holds and shown by the views that say which replica answered.
 */
public final class ReplicaId {

    private static final String ID = host() + "/" + ProcessHandle.current().pid();

    private ReplicaId() {
    }

    public static String get() {
        return ID;
    }

    private static String host() {
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) {
            return env.trim();
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "unknown-host";
        }
    }
}
