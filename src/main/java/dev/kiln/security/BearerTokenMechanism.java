package dev.kiln.security;

import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.credential.TokenCredential;
import io.quarkus.security.identity.IdentityProviderManager;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.AuthenticationRequest;
import io.quarkus.security.identity.request.TokenAuthenticationRequest;
import io.quarkus.vertx.http.runtime.security.ChallengeData;
import io.quarkus.vertx.http.runtime.security.HttpAuthenticationMechanism;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.Set;

/**
 * Reads {@code Authorization: Bearer <token>} and hands it to {@link AdminTokenIdentityProvider}.
 * A request without it is anonymous, and so is one whose credential is not the admin token: every
 * OpenAI SDK sends {@code Bearer <api key>} whatever the key, and open inference must not refuse it.
 * What an anonymous caller may do is {@link OpenAccessAugmentor}'s call; a method that needs the
 * admin role (or inference under protect-inference) refuses an anonymous caller with 401.
 */
@ApplicationScoped
public class BearerTokenMechanism implements HttpAuthenticationMechanism {

    static final String REALM = "Bearer realm=\"kiln\"";

    @Override
    public Uni<SecurityIdentity> authenticate(RoutingContext context, IdentityProviderManager identities) {
        return AdminToken.bearer(context.request().getHeader("Authorization"))
                .map(token -> identities.authenticate(new TokenAuthenticationRequest(new TokenCredential(token, "bearer")))
                        .onFailure(AuthenticationFailedException.class).recoverWithNull())
                .orElseGet(() -> Uni.createFrom().nullItem());
    }

    @Override
    public Uni<ChallengeData> getChallenge(RoutingContext context) {
        return Uni.createFrom().item(new ChallengeData(401, "WWW-Authenticate", REALM));
    }

    @Override
    public Set<Class<? extends AuthenticationRequest>> getCredentialTypes() {
        return Set.of(TokenAuthenticationRequest.class);
    }
}
