package dev.kiln.install;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.kiln.errors.ClientText;
import dev.kiln.errors.KilnError;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

/**
 * The OCI distribution API for one repository: manifests and blobs, over connections pinned to the
 * registry address the source policy checked. A 401 is answered once through {@link RegistryAuth}
 * and the request repeated; the Authorization it yields goes to the registry only, never to a host
 * it redirects to.
 */
final class RegistryClient {

    /** A manifest, its type as the registry sent it, and the sha256 of its bytes. */
    record Manifest(byte[] body, String contentType, String digest) {
    }

    private static final int MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
    private static final int MAX_REDIRECTS = 5;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(15);
    private static final int READ_TIMEOUT_MILLIS = 60_000;
    private static final JsonMapper JSON = new JsonMapper();

    private final OciReference ref;
    private final SourcePolicy.Source registry;
    private final SourcePolicy policy;
    private final RegistryAuth auth;
    private final Downloader downloader;
    private final long deadlineNanos;
    private String authorization;

    RegistryClient(OciReference ref, SourcePolicy.Source registry, SourcePolicy policy, RegistryAuth auth, Downloader downloader,
                   long deadlineNanos) {
        this.ref = ref;
        this.registry = registry;
        this.policy = policy;
        this.auth = auth;
        this.downloader = downloader;
        this.deadlineNanos = deadlineNanos;
    }

    /** The manifest that {@code reference} (a tag or a digest) names; a 404 is a step failure that names the reference. */
    Manifest manifest(String reference) throws InstallStepException, IOException {
        SourcePolicy.Source hop = at("manifests/" + reference);
        boolean authorized = false;
        for (int n = 0; n <= MAX_REDIRECTS; n++) {
            Map<String, String> headers = new HashMap<>(Map.of("Accept", OciManifest.ACCEPT));
            boolean toRegistry = Downloader.sameOrigin(hop.uri(), registry.uri());
            if (authorization != null && toRegistry) {
                headers.put("Authorization", authorization);
            }
            try (HttpGet answer = HttpGet.open(hop, downloader.tls(), CONNECT_TIMEOUT, READ_TIMEOUT_MILLIS, headers)) {
                String location = answer.headers.get("location");
                if (answer.status == 401 && toRegistry && !authorized) {
                    authorization = auth.authorize(answer.headers.get("www-authenticate"), ref, deadlineNanos);
                    authorized = true;
                    continue;
                }
                if (answer.status >= 300 && answer.status < 400 && location != null) {
                    hop = follow(hop, location);
                    continue;
                }
                byte[] body = answer.readBody(MAX_MANIFEST_BYTES, deadlineNanos);
                if (answer.status != 200) {
                    throw failure(answer.status, body, "manifest " + reference);
                }
                String digest = "sha256:" + sha256(body);
                String claimed = answer.headers.get("docker-content-digest");
                if (claimed != null && claimed.startsWith("sha256:") && !claimed.trim().equals(digest)) {
                    throw new InstallStepException("the registry says manifest " + reference + " is " + ClientText.printable(claimed, 80)
                            + " but its bytes hash to " + digest);
                }
                return new Manifest(body, answer.headers.get("content-type"), digest);
            } catch (java.net.ConnectException e) {
                throw new InstallStepException("cannot connect to registry " + ref.authority() + ": " + e.getMessage());
            } catch (javax.net.ssl.SSLException e) {
                throw new InstallStepException("TLS with registry " + ref.authority() + " failed: " + e.getMessage());
            }
        }
        throw new InstallStepException("more than " + MAX_REDIRECTS + " redirects for " + ref.shown());
    }

    /**
     * Streams a blob to {@code target} and returns its sha256 (hex); the caller compares it with the
     * descriptor. A 401 (no token yet, or one that expired during a long pull) is answered once.
     */
    String blob(OciDescriptor blob, Path target, InstallJob job, long maxBytes) throws InstallStepException, IOException {
        SourcePolicy.Source source = at("blobs/" + blob.digest());
        for (boolean retried = false; ; retried = true) {
            Map<String, String> headers = authorization == null ? Map.of() : Map.of("Authorization", authorization);
            try {
                return downloader.fetch(source, headers, target, job, maxBytes, remaining(), policy::check);
            } catch (Downloader.HttpStatusException e) {
                if (e.status == 401 && !retried) {
                    Files.deleteIfExists(target);
                    authorization = auth.authorize(e.challenge, ref, deadlineNanos);
                    continue;
                }
                if (e.status == 404) {
                    throw new InstallStepException("blob " + blob.digest() + " of " + ref.shown() + " is not in the registry (HTTP 404)");
                }
                throw e;
            }
        }
    }

    private SourcePolicy.Source at(String path) {
        return new SourcePolicy.Source(registry.uri().resolve("/v2/" + ref.repository() + "/" + path), registry.address());
    }

    private SourcePolicy.Source follow(SourcePolicy.Source from, String location) throws InstallStepException {
        URI next = from.uri().resolve(location);
        if (Downloader.sameOrigin(next, registry.uri())) {
            return new SourcePolicy.Source(next, registry.address());
        }
        try {
            return policy.check(next.toString());
        } catch (KilnError e) {
            throw new InstallStepException("the registry redirected to a refused place: " + e.getMessage());
        }
    }

    private Duration remaining() throws InstallStepException {
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
            throw new InstallStepException("the pull did not finish within ai.models.install.download-timeout");
        }
        return Duration.ofNanos(left);
    }

    /** A registry's error answer, with the code and message of its first error when it sent the spec's JSON. */
    private InstallStepException failure(int status, byte[] body, String what) {
        String detail = "";
        try {
            JsonNode first = JSON.readTree(body).path("errors").path(0);
            if (first.isObject()) {
                detail = ", " + ClientText.printable(first.path("code").asText(""), 40) + ": " + ClientText.printable(first.path("message").asText(""), 120);
            }
        } catch (IOException | RuntimeException e) {
            // Not the spec's error JSON: the status says enough.
        }
        if (status == 404) {
            return new InstallStepException(ref.shown() + " was not found in the registry (" + what + ": HTTP 404" + detail + ")");
        }
        if (status == 401 || status == 403) {
            return new InstallStepException("registry " + ref.authority() + " refused access to " + ref.shown() + " (HTTP " + status + detail + ")");
        }
        return new InstallStepException("registry " + ref.authority() + " answered HTTP " + status + " for " + what + detail);
    }

    static String sha256(byte[] bytes) {
        MessageDigest sha = Downloader.sha256();
        return HexFormat.of().formatHex(sha.digest(bytes));
    }
}
