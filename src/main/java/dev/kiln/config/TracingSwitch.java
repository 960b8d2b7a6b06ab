package dev.kiln.config;

import org.eclipse.microprofile.config.spi.ConfigSource;

import java.util.Map;
import java.util.Set;

/**
 * Tracing is off unless an OTLP endpoint is configured: {@code quarkus.otel.sdk.disabled} follows
 * whether {@code QUARKUS_OTEL_EXPORTER_OTLP_ENDPOINT} (or its traces form, or the matching system
 * properties) is set. Its ordinal sits above application.properties and below the environment, so
 * an operator can still set {@code QUARKUS_OTEL_SDK_DISABLED} either way.
 */
public class TracingSwitch implements ConfigSource {

    static final String DISABLED = "quarkus.otel.sdk.disabled";
    private static final String[] ENDPOINTS = {"quarkus.otel.exporter.otlp.endpoint", "quarkus.otel.exporter.otlp.traces.endpoint"};

    private final Map<String, String> values = Map.of(DISABLED, Boolean.toString(!endpointConfigured()));

    static boolean endpointConfigured() {
        for (String key : ENDPOINTS) {
            String env = key.toUpperCase().replaceAll("[^A-Z0-9]", "_");
            if (present(System.getProperty(key)) || present(System.getenv(env))) {
                return true;
            }
        }
        return false;
    }

    private static boolean present(String v) {
        return v != null && !v.isBlank();
    }

    @Override
    public Set<String> getPropertyNames() {
        return values.keySet();
    }

    @Override
    public String getValue(String propertyName) {
        return values.get(propertyName);
    }

    @Override
    public String getName() {
        return "kiln-tracing-switch";
    }

    @Override
    public int getOrdinal() {
        return 260;
    }
}
