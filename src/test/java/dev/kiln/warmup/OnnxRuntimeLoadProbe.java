package dev.kiln.warmup;

/**
 * Run in a JVM of its own (ONNX Runtime loads once per process): the preinitializer's load, then the
 * engine's first use of OrtEnvironment; prints what that first use was told.
 */
public final class OnnxRuntimeLoadProbe {

    private OnnxRuntimeLoadProbe() {
    }

    public static void main(String[] args) {
        BackgroundPreinitializer.loadOnnxRuntime();
        try {
            ai.onnxruntime.OrtEnvironment.getEnvironment();
            System.out.println("loaded");
        } catch (Throwable t) {
            for (Throwable c = t; c != null; c = c.getCause()) {
                System.out.println(c);
            }
        }
    }
}
