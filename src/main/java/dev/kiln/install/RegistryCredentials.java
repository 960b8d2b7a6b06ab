package dev.kiln.install;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A user name and password for one registry, from the file {@code ai.models.install.oci.auth-file}
 * names: Docker's config.json form ({@code {"auths": {"registry.example.com": {"auth": base64("user:password")}}}}),
 * which is also what podman/skopeo write to auth.json and what a Kubernetes
 * {@code kubernetes.io/dockerconfigjson} secret holds. The file is read when a registry asks for
 * credentials, so a rotated secret takes effect at the next install; a file that is not there
 * holds none. Credential helpers
 * ({@code credsStore}, {@code credHelpers}) and identity tokens are not run or read.
 */
record RegistryCredentials(String username, String password) {

    private static final long MAX_FILE_BYTES = 1 << 20;
    private static final Set<String> DOCKER_HUB = Set.of("registry-1.docker.io", "index.docker.io", "docker.io");
    private static final JsonMapper JSON = new JsonMapper();

    /** The Basic authorization header value. */
    String basic() {
        return "Basic " + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    static Optional<RegistryCredentials> find(Optional<String> authFile, String authority) throws InstallStepException {
        // A file that is not there holds no credentials, as Docker reads a missing config.json (an optional secret not mounted).
        if (authFile.isEmpty() || authFile.get().isBlank() || !Files.exists(Path.of(authFile.get()))) {
            return Optional.empty();
        }
        JsonNode auths = read(Path.of(authFile.get())).path("auths");
        for (Map.Entry<String, JsonNode> entry : auths.properties()) {
            if (matches(entry.getKey(), authority)) {
                return Optional.of(of(entry.getValue(), authority));
            }
        }
        return Optional.empty();
    }

    private static JsonNode read(Path file) throws InstallStepException {
        try {
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw new InstallStepException("ai.models.install.oci.auth-file is larger than " + MAX_FILE_BYTES + " bytes");
            }
            return JSON.readTree(Files.readAllBytes(file));
        } catch (IOException e) {
            // The file's path and contents stay out of the answer: it is a secret.
            throw new InstallStepException("ai.models.install.oci.auth-file cannot be read as JSON (" + e.getClass().getSimpleName() + ")");
        }
    }

    /** Keys are written as host, host:port, or a URL of it (Docker Hub's is https://index.docker.io/v1/). */
    static boolean matches(String key, String authority) {
        String k = key.toLowerCase(Locale.ROOT).replaceFirst("^[a-z]+://", "");
        int slash = k.indexOf('/');
        k = slash < 0 ? k : k.substring(0, slash);
        return k.equals(authority) || DOCKER_HUB.contains(k) && DOCKER_HUB.contains(authority);
    }

    private static RegistryCredentials of(JsonNode entry, String authority) throws InstallStepException {
        String auth = entry.path("auth").asText("");
        if (!auth.isEmpty()) {
            String decoded;
            try {
                decoded = new String(Base64.getDecoder().decode(auth.trim()), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new InstallStepException("the auth-file entry for " + authority + " has an 'auth' that is not base64");
            }
            int colon = decoded.indexOf(':');
            if (colon <= 0) {
                throw new InstallStepException("the auth-file entry for " + authority + " has an 'auth' that is not user:password");
            }
            return new RegistryCredentials(decoded.substring(0, colon), decoded.substring(colon + 1));
        }
        String user = entry.path("username").asText("");
        if (!user.isEmpty()) {
            return new RegistryCredentials(user, entry.path("password").asText(""));
        }
        throw new InstallStepException("the auth-file entry for " + authority
                + " has neither 'auth' nor 'username' and 'password' (identity tokens are not supported)");
    }

    @Override
    public String toString() {
        return "RegistryCredentials[" + username + ", password hidden]";
    }
}
