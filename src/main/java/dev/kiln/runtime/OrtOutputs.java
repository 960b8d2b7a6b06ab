package dev.kiln.runtime;

import ai.onnxruntime.OnnxTensor;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Copies a numeric output out of ONNX Runtime's memory into a direct buffer of Kiln's. ONNX
 * Runtime's Java API offers only copies onto the Java heap ({@code getFloatBuffer()} and kin), which
 * for a large answer is the heap pressure Kiln must avoid; its own, private {@code getBuffer()} is a
 * view of the native memory, so one native-to-native copy suffices. Where that view cannot be had
 * (another ONNX Runtime version), the public heap copy is the fallback.
 */
final class OrtOutputs {

    private static final MethodHandle NATIVE_VIEW = nativeView();

    private OrtOutputs() {
    }

    static ByteBuffer copy(OnnxTensor tensor) {
        ByteBuffer source = view(tensor);
        ByteBuffer out = ByteBuffer.allocateDirect(source.remaining()).order(ByteOrder.nativeOrder());
        out.put(source).flip();
        return out;
    }

    private static ByteBuffer view(OnnxTensor tensor) {
        if (NATIVE_VIEW != null) {
            try {
                return ((ByteBuffer) NATIVE_VIEW.invoke(tensor)).order(ByteOrder.nativeOrder());
            } catch (Throwable e) {
                // Fall through to the public copy.
            }
        }
        return tensor.getByteBuffer().order(ByteOrder.nativeOrder());
    }

    private static MethodHandle nativeView() {
        try {
            return MethodHandles.privateLookupIn(OnnxTensor.class, MethodHandles.lookup())
                    .findVirtual(OnnxTensor.class, "getBuffer", MethodType.methodType(ByteBuffer.class));
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }
}
