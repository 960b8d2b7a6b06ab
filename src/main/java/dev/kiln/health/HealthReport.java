package dev.kiln.health;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.quarkus.runtime.annotations.RegisterForReflection;

import java.util.List;
import java.util.Map;

/** {@code GET /api/v1/setup/dependencies/health}: the seed's shape, with a reason wherever something is off. */
@RegisterForReflection
public record HealthReport(String overallStatus, Map<String, Dependency> dependencies,
                           Map<String, EngineStatus> inferenceEngines, Map<String, CategoryStatus> aiModels,
                           List<String> issues, List<String> warnings) {

    /** status: installed, missing or error. {@code detail} says what is missing or wrong. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @RegisterForReflection
    public record Dependency(String status, String version, String category, String detail, String path,
                             Boolean readable, Boolean writable, Long freeBytes) {

        static Dependency of(String status, String version, String category, String detail) {
            return new Dependency(status, version, category, detail, null, null, null, null);
        }
    }

    /** status: installed, unavailable or error; {@code reason} in ONNX Runtime's words where it spoke. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @RegisterForReflection
    public record EngineStatus(String status, String version, String reason, List<String> devices, Boolean preferred) {
    }

    /** status: ready (some loaded, none failed), no_models (none loaded) or error (one failed). */
    @RegisterForReflection
    public record CategoryStatus(int loaded, int total, String status) {
    }
}
