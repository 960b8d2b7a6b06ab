package dev.kiln.security;

import dev.kiln.config.AiModelsConfig;
import jakarta.enterprise.context.ApplicationScoped;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

/**
 * The configured admin token and the access mode it implies. Tokens are compared as SHA-256
 * digests with {@link MessageDigest#isEqual}, so response timing reveals neither how much of a
 * guess was right nor the token's length.
 */
@ApplicationScoped
public class AdminToken {

    /** How mutating endpoints are guarded. */
    public enum Mode {
        /** A token is configured: only callers presenting it are admins. */
        TOKEN,
        /** No token, and none required (dev, test, or allow-unauthenticated-admin): every caller is an admin. */
        OPEN,
        /** No token, but one is required (the prod default): nobody is an admin until one is set. */
        LOCKED
    }

    static final String BEARER = "Bearer ";

    private final Optional<byte[]> digest;
    private final Mode mode;
    private final boolean protectInference;

    public AdminToken(AiModelsConfig config) {
        this.digest = config.adminToken().filter(t -> !t.isBlank()).map(AdminToken::sha256);
        this.mode = digest.isPresent() ? Mode.TOKEN
                : config.adminTokenRequired() && !config.allowUnauthenticatedAdmin() ? Mode.LOCKED : Mode.OPEN;
        this.protectInference = config.protectInference();
    }

    public Mode mode() {
        return mode;
    }

    /** Whether inference needs the token too ({@code ai.models.protect-inference}). */
    public boolean protectsInference() {
        return protectInference && mode != Mode.OPEN;
    }

    /** True when the token is configured and {@code presented} is it. */
    public boolean accepts(String presented) {
        return digest.isPresent() && presented != null && MessageDigest.isEqual(sha256(presented.trim()), digest.get());
    }

    /** True when a request with this Authorization header may act as admin. */
    public boolean admits(String authorizationHeader) {
        return mode == Mode.OPEN || bearer(authorizationHeader).map(this::accepts).orElse(false);
    }

    /** The credential of an {@code Authorization: Bearer <token>} header (scheme case-insensitive). */
    public static Optional<String> bearer(String header) {
        if (header == null || header.length() <= BEARER.length() || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return Optional.empty();
        }
        return Optional.of(header.substring(BEARER.length()).trim());
    }

    private static byte[] sha256(String value) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
