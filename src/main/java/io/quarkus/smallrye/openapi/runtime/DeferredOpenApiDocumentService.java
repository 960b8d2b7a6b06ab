package io.quarkus.smallrye.openapi.runtime;

import io.quarkus.arc.Unremovable;
import io.quarkus.arc.profile.IfBuildProfile;
import io.quarkus.smallrye.openapi.OpenApiFilter;
import io.quarkus.smallrye.openapi.runtime.filter.AutoSecurityFilter;
import io.smallrye.openapi.runtime.io.Format;
import jakarta.annotation.Priority;
import jakarta.enterprise.inject.Alternative;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Kiln's OpenAPI document, made when {@code /q/openapi} is first asked for instead of at every start.
 * Quarkus 3.33 parses the 118 KB document it generated at build time, runs the filters and writes it
 * out as JSON and as YAML during startup, unconditionally (its recorder calls
 * {@link #prepareDocument} at RUNTIME_INIT): a fifth of Kiln's startup on the main thread, for a
 * document most starts never serve. This alternative defers it. It lives in the extension's package
 * because the method it defers is package-private there, and it keeps the extension's own code for
 * everything else: the first request gets the very document a start used to make.
 * <p>
 * Built into the packaged application only (jar, AOT jar, image, native): tests and dev mode load the
 * extension and the application with different class loaders, where a package-private method of the
 * one cannot be overridden by the other, so there the extension prepares its document at start as
 * before. The integration tests check the document the packaged jar serves.
 */
@Alternative
@Priority(1)
@Singleton
@IfBuildProfile("prod")
@Unremovable // looked up, never injected: the recorder and the handler ask the container for it
public class DeferredOpenApiDocumentService extends OpenApiDocumentService {

    private record Preparation(AutoSecurityFilter autoSecurityFilter, Map<OpenApiFilter.RunStage, List<String>> filters) {
    }

    private static final Logger LOG = Logger.getLogger(DeferredOpenApiDocumentService.class);

    private final Map<String, Preparation> deferred = new HashMap<>();

    @Override
    synchronized void prepareDocument(AutoSecurityFilter autoSecurityFilter,
                                      Map<OpenApiFilter.RunStage, List<String>> filters, String documentName) {
        deferred.put(documentName, new Preparation(autoSecurityFilter, filters));
        LOG.infof("OpenAPI document %s: made on the first request to /q/openapi, not at start", documentName);
    }

    @Override
    public synchronized byte[] getDocument(String documentName, Format format) {
        Preparation p = deferred.get(documentName);
        if (p != null) {
            super.prepareDocument(p.autoSecurityFilter(), p.filters(), documentName);
            deferred.remove(documentName); // only once made: a failure is tried again, never answered with an empty document
        }
        return super.getDocument(documentName, format);
    }
}
