package dev.kiln.inference;

import dev.kiln.errors.KilnError;
import dev.kiln.registry.ModelRegistry;
import dev.kiln.runtime.Datatype;
import dev.kiln.runtime.OutputTensor;
import dev.kiln.runtime.TensorBuffer;
import dev.kiln.runtime.TinyOnnx;
import dev.kiln.testing.FaultyEngine;
import dev.kiln.testing.PrivateRepository;
import dev.kiln.testing.Startup;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An Error thrown at any stage of the inference path (reading the request, weighing its answer,
 * running it, writing the answer, one part of a unit) still ends the request, within seconds, with
 * an answer that says what happened, and gives its lease back: in_flight returns to 0, and the
 * model keeps serving. Before, an Error left the caller waiting forever and unload refused with 409.
 */
@QuarkusTest
@TestProfile(EveryRequestEndsTest.Faulty.class)
class EveryRequestEndsTest {

    public static class Faulty implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            String repo = PrivateRepository.create("faulty-models", Map.of("doubler", TinyOnnx.doubler(-1)), Map.of());
            return Map.of("ai.models.repository", repo);
        }

        @Override
        public Set<Class<?>> getEnabledAlternatives() {
            return Set.of(FaultyEngine.class);
        }
    }

    @Inject
    InferenceService inference;
    @Inject
    ModelRegistry registry;
    @Inject
    Instance<dev.kiln.runtime.OnnxEngine> engines;

    /** A call on the doubler with two floats, whose stages the test can break. */
    static final class Call implements InferenceCall<float[]> {
        final Function<String, Error> faultAt;

        Call(Function<String, Error> faultAt) {
            this.faultAt = faultAt;
        }

        private void stage(String name) {
            Error e = faultAt.apply(name);
            if (e != null) {
                throw e;
            }
        }

        @Override
        public ModelInputs decode(ModelSignature model) {
            stage("decode");
            ByteBuffer b = TensorBuffer.allocate(Datatype.FP32, 2).putFloat(1.5f).putFloat(-2f).flip();
            return new ModelInputs(List.of(TensorBuffer.ofNative("X", Datatype.FP32, new long[]{2}, b)), Set.of());
        }

        @Override
        public long answerBytes(String output, Datatype type, long elements) {
            stage("weigh");
            return InferenceCall.super.answerBytes(output, type, elements);
        }

        @Override
        public float[] encode(List<OutputTensor> outputs) {
            stage("encode");
            ByteBuffer b = outputs.get(0).nativeOrder();
            return new float[]{b.getFloat(0), b.getFloat(4)};
        }
    }

    @Inject
    dev.kiln.warmup.ServingPathRehearsal rehearsal;

    @Test
    void anErrorAtAnyStageEndsTheRequestAndReleasesItsLease() throws Exception {
        Startup.awaitStarted();
        // The startup warm-up rehearsed the serving path (V2 JSON and binary), and none of it counts as use.
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> rehearsal.rehearsed("doubler") > 0);
        given().get("/v2/models/doubler/stats").then().statusCode(200)
                .body("model_stats[0].inference_count", equalTo(0)).body("model_stats[0].execution_count", equalTo(0));
        assertEquals(3f, inference.infer("doubler", new Call(s -> null)).toCompletableFuture().get(10, TimeUnit.SECONDS)[0]);
        for (String stage : List.of("decode", "weigh", "encode")) {
            Throwable t = failure(inference.infer("doubler", new Call(s -> s.equals(stage) ? new OutOfMemoryError("injected at " + stage) : null)));
            KilnError e = assertInstanceOf(KilnError.class, t, stage);
            assertEquals(KilnError.Kind.INSUFFICIENT_MEMORY, e.kind(), stage + ": " + e.getMessage());
            assertTrue(e.getMessage().contains("injected at " + stage), e.getMessage());
            assertEquals(0, registry.status("doubler").inFlight(), "lease released after an Error at " + stage);
        }
        Throwable other = failure(inference.infer("doubler", new Call(s -> s.equals("encode") ? new StackOverflowError() : null)));
        assertEquals(KilnError.Kind.INTERNAL, assertInstanceOf(KilnError.class, other).kind());

        ((FaultyEngine) engines.get()).failNextRun(new OutOfMemoryError("injected at run"));
        Throwable run = failure(inference.infer("doubler", new Call(s -> null)));
        assertTrue(run.getMessage().contains("injected at run"), run.getMessage());
        assertEquals(0, registry.status("doubler").inFlight(), "lease released after an Error in the run");

        // A unit of three runs whose second part fails: the whole unit ends, its lease is released once.
        int[] n = {0};
        Throwable unit = failure(inference.inferTogether("doubler", List.of(new Call(s -> null),
                new Call(s -> s.equals("encode") && n[0]++ == 0 ? new OutOfMemoryError("injected in a unit") : null), new Call(s -> null))));
        assertTrue(unit.getMessage().contains("injected in a unit"), unit.getMessage());

        assertEquals(0, registry.status("doubler").inFlight());
        given().get("/api/v1/setup/models/status").then().statusCode(200)
                .body("installed_models.find { it.name == 'doubler' }.in_flight", equalTo(0));
        // The model still serves, and an unload does not wait for leases nobody holds.
        assertEquals(3f, inference.infer("doubler", new Call(s -> null)).toCompletableFuture().get(10, TimeUnit.SECONDS)[0]);
        given().post("/v2/repository/models/doubler/unload").then().statusCode(200);
    }

    private static Throwable failure(CompletionStage<?> stage) throws Exception {
        ExecutionException e = assertThrows(ExecutionException.class, () -> stage.toCompletableFuture().get(10, TimeUnit.SECONDS));
        return e.getCause();
    }
}
