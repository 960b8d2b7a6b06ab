package dev.kiln.health;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** What the build recorded in {@code kiln-build.properties}: Quarkus and ONNX Runtime artifacts. */
public final class BuildInfo {

    private static final Properties PROPS = load();

    private BuildInfo() {
    }

    public static String get(String key) {
        return PROPS.getProperty(key, "unknown");
    }

    private static Properties load() {
        Properties p = new Properties();
        try (InputStream in = BuildInfo.class.getClassLoader().getResourceAsStream("kiln-build.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // Versions show as "unknown"; nothing else depends on them.
        }
        return p;
    }
}
