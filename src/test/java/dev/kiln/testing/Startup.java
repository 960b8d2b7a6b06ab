package dev.kiln.testing;

import static io.restassured.RestAssured.given;

/** Waits for the startup warm-up job to end, as Kubernetes' startup probe would. */
public final class Startup {

    private Startup() {
    }

    public static void awaitStarted() throws InterruptedException {
        long deadline = System.currentTimeMillis() + 120_000;
        while (System.currentTimeMillis() < deadline) {
            if (given().get("/q/health/started").statusCode() == 200) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("/q/health/started did not turn UP within 120 s");
    }
}
