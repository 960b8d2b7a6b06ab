package dev.kiln.web;

import jakarta.annotation.security.PermitAll;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.io.IOException;
import java.io.InputStream;

/**
 * The admin page also at /admin (it is served at / as a static resource). Reading it needs no
 * token; every action on it does, and the page asks for it.
 */
@PermitAll
@Path("/admin")
@Tag(name = "Admin page")
public class AdminPage {

    private static final String PAGE = "META-INF/resources/index.html";

    @GET
    @Produces(MediaType.TEXT_HTML)
    @Operation(summary = "The admin page (the same as GET /)")
    public byte[] page() throws IOException {
        try (InputStream in = Thread.currentThread().getContextClassLoader().getResourceAsStream(PAGE)) {
            if (in == null) {
                throw new IOException(PAGE + " is missing from the build");
            }
            return in.readAllBytes();
        }
    }
}
