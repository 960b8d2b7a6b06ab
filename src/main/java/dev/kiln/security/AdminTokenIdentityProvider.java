package dev.kiln.security;

import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.IdentityProvider;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.TokenAuthenticationRequest;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/** The admin token is the only credential Kiln knows: presenting it makes the caller an admin. */
@ApplicationScoped
public class AdminTokenIdentityProvider implements IdentityProvider<TokenAuthenticationRequest> {

    private final AdminToken token;

    public AdminTokenIdentityProvider(AdminToken token) {
        this.token = token;
    }

    @Override
    public Class<TokenAuthenticationRequest> getRequestType() {
        return TokenAuthenticationRequest.class;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(TokenAuthenticationRequest request, AuthenticationRequestContext context) {
        if (!token.accepts(request.getToken().getToken())) {
            return Uni.createFrom().failure(new AuthenticationFailedException("wrong admin token"));
        }
        return Uni.createFrom().item(QuarkusSecurityIdentity.builder()
                .setPrincipal(new QuarkusPrincipal(Roles.ADMIN))
                .addRole(Roles.ADMIN)
                .addRole(Roles.INFERENCE)
                .addCredential(request.getToken())
                .build());
    }
}
