package dev.kiln.security;

import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.SecurityIdentityAugmentor;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * What an anonymous caller may do, as roles: run models unless {@code protect-inference} is on,
 * and everything when no token is configured and none is required (dev, test, or
 * {@code allow-unauthenticated-admin} on a trusted network).
 */
@ApplicationScoped
public class OpenAccessAugmentor implements SecurityIdentityAugmentor {

    private final AdminToken token;

    public OpenAccessAugmentor(AdminToken token) {
        this.token = token;
    }

    @Override
    public Uni<SecurityIdentity> augment(SecurityIdentity identity, AuthenticationRequestContext context) {
        if (!identity.isAnonymous()) {
            return Uni.createFrom().item(identity);
        }
        QuarkusSecurityIdentity.Builder b = QuarkusSecurityIdentity.builder(identity);
        if (token.mode() == AdminToken.Mode.OPEN) {
            b.addRole(Roles.ADMIN).addRole(Roles.INFERENCE);
        } else if (!token.protectsInference()) {
            b.addRole(Roles.INFERENCE);
        }
        return Uni.createFrom().item(b.build());
    }
}
