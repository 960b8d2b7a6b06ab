package dev.kiln.security;

/**
 * The two roles a caller can hold. {@link #ADMIN} may change the service; {@link #INFERENCE} may run
 * models. Resource methods name the role they need with {@code @RolesAllowed}, so the decision is
 * attached to the method the router picked, whatever spelling of the path reached it.
 */
public final class Roles {

    public static final String ADMIN = "admin";
    public static final String INFERENCE = "inference";

    private Roles() {
    }
}
