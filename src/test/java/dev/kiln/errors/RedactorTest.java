package dev.kiln.errors;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RedactorTest {

    private final Redactor r = new Redactor("/srv/kiln/models");

    @Test
    void pathsClassNamesAndStackFramesGo() {
        assertEquals("Error code - ORT_INVALID_PROTOBUF - message: Load model from <repository>/broken/model.onnx failed:Protobuf parsing failed.",
                r.redact("Error code - ORT_INVALID_PROTOBUF - message: Load model from /srv/kiln/models/broken/model.onnx failed:Protobuf parsing failed."));
        assertEquals("not found: libcudart.so.12 (searched [<path>, <path>])",
                r.redact("not found: libcudart.so.12 (searched [/usr/local/cuda/lib64, /usr/lib/x86_64-linux-gnu])"));
        assertEquals("cannot read <path> (No such file or directory)",
                r.redact("cannot read java.io.FileNotFoundException: /etc/kiln/x.yaml (No such file or directory)"));
        assertEquals("boom", r.redact("boom\n\tat dev.kiln.registry.ModelRegistry.load(ModelRegistry.java:42)"));
        assertEquals("source file://<path>", r.redact("source file:///home/op/model.onnx"));
        assertEquals("<repository>/.kiln-settings.yaml", r.redact("/srv/kiln/models/.kiln-settings.yaml"));
    }

    @Test
    void apiPathsNamesAndSettingsStay() {
        for (String kept : new String[]{
                "call POST /api/v1/setup/ai-models/rescan or POST /v2/repository/models/m/load",
                "see /q/health/ready", "output save_infer_model/scale_0.tmp_1", "ai.models.inference.max-request-bytes",
                "model 'all-minilm-l6-v2' is disabled", "3.5 GB", "send 'Authorization: Bearer <token>'"}) {
            assertEquals(kept, r.redact(kept));
        }
    }
}
