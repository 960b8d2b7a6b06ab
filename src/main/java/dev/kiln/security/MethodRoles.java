package dev.kiln.security;

import jakarta.annotation.security.RolesAllowed;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.container.ResourceInfo;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** What the matched resource method is for, read once per method from its {@code @RolesAllowed}. */
@ApplicationScoped
public class MethodRoles {

    private final Map<Method, Boolean> runsModels = new ConcurrentHashMap<>();

    /** True for methods that run models ({@code @RolesAllowed(Roles.INFERENCE)}): inference, embeddings. */
    public boolean runsModels(ResourceInfo resource) {
        Method m = resource == null ? null : resource.getResourceMethod();
        return m != null && runsModels.computeIfAbsent(m, method -> {
            RolesAllowed roles = method.getAnnotation(RolesAllowed.class);
            return roles != null && Arrays.asList(roles.value()).contains(Roles.INFERENCE);
        });
    }
}
