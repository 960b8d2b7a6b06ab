package dev.kiln.warmup;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;

/**
 * The packaged application's entry point: Quarkus's own, after starting {@link BackgroundPreinitializer}.
 * Tests and dev mode start Quarkus another way and skip it; nothing depends on it having run.
 */
@QuarkusMain
public final class KilnMain {

    private KilnMain() {
    }

    public static void main(String... args) {
        BackgroundPreinitializer.start();
        Quarkus.run(args);
    }
}
