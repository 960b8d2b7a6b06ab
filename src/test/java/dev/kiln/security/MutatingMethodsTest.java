package dev.kiln.security;

import dev.kiln.testing.ResourceMethods.Endpoint;
import dev.kiln.testing.ResourceMethods;
import jakarta.annotation.security.PermitAll;
import jakarta.annotation.security.RolesAllowed;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Keeps the rule true as endpoints are added: every method that is not a GET needs the admin role,
 * unless it is on this list with the reason it may be called without the token.
 */
class MutatingMethodsTest {

    /** Non-GET methods that may run without the admin token, and the role they need instead. */
    static final Map<String, String> ALLOWED = Map.of(
            // Runs a model: open to callers with the inference role (everyone, unless protect-inference).
            "V2Resource.infer", Roles.INFERENCE,
            "V2Resource.inferVersion", Roles.INFERENCE,
            "EmbeddingsResource.embeddings", Roles.INFERENCE,
            "OcrResource.ocr", Roles.INFERENCE,
            // A POST only because the V2 protocol says so: it lists the registry and changes nothing.
            "V2Resource.index", "");

    @Test
    void everyNonGetMethodNeedsTheAdminRoleOrIsAllowListed() throws Exception {
        List<Endpoint> endpoints = ResourceMethods.all();
        assertTrue(endpoints.size() > 15, "found the resource methods: " + endpoints);
        List<String> unguarded = new ArrayList<>();
        for (Endpoint e : endpoints) {
            if (e.httpMethod().equals("GET")) {
                continue;
            }
            List<String> roles = roles(e);
            String allowed = ALLOWED.get(e.id());
            if (allowed == null && !roles.equals(List.of(Roles.ADMIN))) {
                unguarded.add(e.httpMethod() + " " + e.path() + " (" + e.id() + ") has roles " + roles);
            }
            if (allowed != null && !allowed.isEmpty()) {
                assertEquals(List.of(allowed), roles, e.id() + " needs exactly its listed role");
            }
        }
        assertTrue(unguarded.isEmpty(), "mutating methods without @RolesAllowed(\"admin\"): " + unguarded);
    }

    @Test
    void everyResourceClassDeclaresItsAccess() throws Exception {
        // quarkus.security.jaxrs.deny-unannotated-endpoints=true denies what is not annotated; this says which class forgot.
        for (Endpoint e : ResourceMethods.all()) {
            Class<?> c = e.method().getDeclaringClass();
            boolean declared = c.isAnnotationPresent(PermitAll.class) || c.isAnnotationPresent(RolesAllowed.class)
                    || e.method().isAnnotationPresent(PermitAll.class) || e.method().isAnnotationPresent(RolesAllowed.class);
            assertTrue(declared, e.id() + " has no security annotation");
        }
    }

    @Test
    void theAllowListNamesRealMethods() throws Exception {
        List<String> ids = ResourceMethods.all().stream().map(Endpoint::id).toList();
        for (String id : ALLOWED.keySet()) {
            assertTrue(ids.contains(id), id + " is allow-listed but no longer exists");
        }
    }

    private static List<String> roles(Endpoint e) {
        RolesAllowed r = e.method().getAnnotation(RolesAllowed.class);
        return r == null ? List.of() : Arrays.asList(r.value());
    }
}
