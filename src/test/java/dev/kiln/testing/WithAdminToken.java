package dev.kiln.testing;

import io.quarkus.test.junit.QuarkusTestProfile;

import java.util.Map;

/** The test repository served with an admin token set, as production would run. */
public class WithAdminToken implements QuarkusTestProfile {

    public static final String TOKEN = "correct-horse-battery-staple";

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("ai.models.admin-token", TOKEN);
    }
}
