package dev.kiln.install;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.kiln.errors.ClientText;
import dev.kiln.errors.KilnError;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;

/**
 * Answers a registry's 401: the token flow of the distribution spec for a {@code Bearer}
 * challenge (GET the realm with the challenge's service and scope, anonymously or with Basic
 * credentials from the auth file, and use the token it returns), or the credentials themselves for
 * a {@code Basic} challenge. The realm is a URL the registry chose, so it passes the source policy
 * like any other: no internal address, no http unless allowed.
 */
final class RegistryAuth {

    private static final int MAX_TOKEN_ANSWER = 64 * 1024;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(15);
    private static final int READ_TIMEOUT_MILLIS = 60_000;
    private static final Pattern TOKEN = Pattern.compile("[\\x21-\\x7e]{1,16384}");
    private static final JsonMapper JSON = new JsonMapper();

    private final SourcePolicy policy;
    private final Optional<String> authFile;
    private final SSLContext tls;

    RegistryAuth(SourcePolicy policy, Optional<String> authFile, SSLContext tls) {
        this.policy = policy;
        this.authFile = authFile;
        this.tls = tls;
    }

    /** The Authorization header value that answers {@code wwwAuthenticate}, or a step failure that says why there is none. */
    String authorize(String wwwAuthenticate, OciReference ref, long deadlineNanos) throws InstallStepException, IOException {
        List<AuthChallenge> challenges = AuthChallenge.parse(wwwAuthenticate);
        Optional<AuthChallenge> bearer = challenges.stream().filter(c -> c.scheme().equals("bearer") && c.param("realm") != null).findFirst();
        if (bearer.isPresent()) {
            return "Bearer " + token(bearer.get(), ref, RegistryCredentials.find(authFile, ref.authority()), deadlineNanos);
        }
        if (challenges.stream().anyMatch(c -> c.scheme().equals("basic"))) {
            return RegistryCredentials.find(authFile, ref.authority()).map(RegistryCredentials::basic).orElseThrow(() ->
                    new InstallStepException("registry " + ref.authority() + " answered 401 asking for basic credentials and offers no "
                            + "token flow; put credentials for it in the file ai.models.install.oci.auth-file names"));
        }
        throw new InstallStepException("registry " + ref.authority() + " answered 401 and offers no token flow ("
                + (wwwAuthenticate == null ? "no WWW-Authenticate header" : "WWW-Authenticate: " + ClientText.printable(wwwAuthenticate, 120)) + ")");
    }

    private String token(AuthChallenge bearer, OciReference ref, Optional<RegistryCredentials> credentials, long deadlineNanos)
            throws InstallStepException, IOException {
        String scope = bearer.param("scope") != null ? bearer.param("scope") : "repository:" + ref.repository() + ":pull";
        String realm = bearer.param("realm");
        String url = realm + (realm.contains("?") ? "&" : "?")
                + (bearer.param("service") != null ? "service=" + encode(bearer.param("service")) + "&" : "") + "scope=" + encode(scope);
        SourcePolicy.Source source;
        try {
            source = policy.check(url);
        } catch (KilnError e) {
            throw new InstallStepException("the registry's token endpoint is refused: " + e.getMessage());
        }
        if (source.isFile() || source.isOci()) {
            throw new InstallStepException("the registry's token endpoint must be an http(s) URL");
        }
        Map<String, String> headers = new HashMap<>(Map.of("Accept", "application/json"));
        credentials.ifPresent(c -> headers.put("Authorization", c.basic()));
        try (HttpGet answer = HttpGet.open(source, tls, CONNECT_TIMEOUT, READ_TIMEOUT_MILLIS, headers)) {
            String endpoint = SourcePolicy.shown(source.uri());
            if (answer.status == 401 || answer.status == 403) {
                throw new InstallStepException("the token endpoint " + endpoint + " refused " + (credentials.isPresent()
                        ? "the credentials for " + ref.authority() + " from ai.models.install.oci.auth-file"
                        : "an anonymous pull; put credentials for " + ref.authority() + " in ai.models.install.oci.auth-file")
                        + " (HTTP " + answer.status + ")");
            }
            if (answer.status != 200) {
                throw new InstallStepException("the token endpoint " + endpoint + " answered HTTP " + answer.status);
            }
            byte[] body = answer.readBody(MAX_TOKEN_ANSWER, deadlineNanos);
            JsonNode json;
            try {
                json = JSON.readTree(body);
            } catch (IOException e) {
                throw new InstallStepException("the token endpoint " + endpoint + " answered something that is not JSON");
            }
            return tokenOf(json, endpoint);
        }
    }

    /** Registries answer {@code token}, OAuth-style ones {@code access_token}; either is used as it is. */
    private static String tokenOf(JsonNode answer, String endpoint) throws InstallStepException {
        String token = answer.path("token").asText("");
        if (token.isEmpty()) {
            token = answer.path("access_token").asText("");
        }
        if (!TOKEN.matcher(token).matches()) {
            throw new InstallStepException("the token endpoint " + endpoint + " answered no usable token");
        }
        return token;
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
