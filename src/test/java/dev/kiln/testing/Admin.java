package dev.kiln.testing;

import io.restassured.response.ValidatableResponse;

import java.util.Map;

import static io.restassured.RestAssured.given;

/** Management calls used across install tests. */
public final class Admin {

    private Admin() {
    }

    public static ValidatableResponse install(Map<String, Object> body, boolean wait) {
        return given().contentType("application/json").body(body)
                .post("/api/v1/setup/ai-models/install" + (wait ? "?wait=true" : "")).then();
    }

    public static ValidatableResponse enable(String name, boolean enabled) {
        return given().contentType("application/json").body(Map.of("name", name, "enabled", enabled))
                .post("/api/v1/setup/ai-models/enable").then();
    }

    public static ValidatableResponse uninstall(String name) {
        return given().contentType("application/json").body(Map.of("name", name))
                .post("/api/v1/setup/ai-models/uninstall").then();
    }
}
