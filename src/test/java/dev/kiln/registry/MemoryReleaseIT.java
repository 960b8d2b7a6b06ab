package dev.kiln.registry;

import dev.kiln.testing.PackagedKiln;
import dev.kiln.testing.RawHttp;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Unloading really gives memory back, measured on the packaged jar's own process (its Java heap
 * fixed and pre-touched, so what moves is native memory): the fp32 MiniLM
 * (90 MB of weights) loaded, used and unloaded twenty times leaves the resident memory within
 * 50 MB (or 10 %) of where the first unload left it.
 */
class MemoryReleaseIT {

    static final String MODEL = "all-minilm-l6-v2";
    static final byte[] HELLO = ("{\"inputs\":[{\"name\":\"input_ids\",\"shape\":[1,4],\"datatype\":\"INT64\",\"data\":[101,7592,2088,102]},"
            + "{\"name\":\"attention_mask\",\"shape\":[1,4],\"datatype\":\"INT64\",\"data\":[1,1,1,1]},"
            + "{\"name\":\"token_type_ids\",\"shape\":[1,4],\"datatype\":\"INT64\",\"data\":[0,0,0,0]}]}").getBytes();

    static long rss(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D+", "")) * 1024L;
            }
        }
        throw new AssertionError("no VmRSS for " + pid);
    }

    @Test
    void twentyLoadsAndUnloadsDoNotGrowTheProcess() throws Exception {
        try (PackagedKiln kiln = PackagedKiln.start(PackagedKiln.copyOfDemoRepository("memory-release-models"),
                // The heap is touched up front, so a change in resident memory is the native side's.
                Map.of("ai.models.admin-token", "t"), List.of("-Xms256m", "-Xmx256m", "-XX:+AlwaysPreTouch"))) {
            Map<String, String> admin = Map.of("Authorization", "Bearer t");
            long pid = kiln.process.pid();
            long afterFirst = 0;
            StringBuilder trace = new StringBuilder();
            for (int cycle = 0; cycle < 20; cycle++) {
                assertEquals(200, RawHttp.send(kiln.port, "POST", "/v2/repository/models/" + MODEL + "/load", admin, new byte[0]).status());
                assertEquals(200, RawHttp.send(kiln.port, "POST", "/v2/models/" + MODEL + "/infer",
                        Map.of("Content-Type", "application/json"), HELLO).status());
                assertEquals(200, RawHttp.send(kiln.port, "POST", "/v2/repository/models/" + MODEL + "/unload", admin, new byte[0]).status());
                long now = rss(pid);
                trace.append(' ').append(now >> 20);
                if (cycle == 0) {
                    afterFirst = now;
                }
            }
            long growth = rss(pid) - afterFirst;
            System.out.printf("memory release: RSS (MiB) after each unload:%s; growth %+d MiB%n", trace, growth >> 20);
            assertTrue(growth <= Math.max(50L << 20, afterFirst / 10), "RSS grew " + (growth >> 20) + " MiB:" + trace);
        }
    }
}
