package dev.kiln.inference;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import dev.kiln.runtime.Datatype;
import dev.kiln.runtime.OutputTensor;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An answer is weighed before its model runs (max-answer-bytes, the in-flight byte budget): for each
 * datatype the weight of a JSON element must cover the widest text that element can print, or a large
 * INT64 or FP64 answer passes the bound and then outgrows it (INT64 and FP64 were weighed as 16 bytes).
 */
class AnswerWeightTest {

    private static final JsonFactory JSON = JsonFactory.builder().enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER).build();
    private static final int N = 1000;

    @Test
    void everyDatatypesWidestJsonElementFitsItsWeight() throws Exception {
        fits(Datatype.INT64, 8, b -> b.putLong(Long.MIN_VALUE));
        fits(Datatype.UINT64, 8, b -> b.putLong(-1L));
        fits(Datatype.FP64, 8, b -> b.putDouble(-Double.MIN_NORMAL));
        fits(Datatype.FP64, 8, b -> b.putDouble(-1.2345678901234567E-300));
        fits(Datatype.FP32, 4, b -> b.putFloat(-1.17549435E-38f));
        fits(Datatype.FP32, 4, b -> b.putFloat(Float.NEGATIVE_INFINITY));
        fits(Datatype.INT32, 4, b -> b.putInt(Integer.MIN_VALUE));
        fits(Datatype.UINT32, 4, b -> b.putInt(-1));
        fits(Datatype.INT16, 2, b -> b.putShort(Short.MIN_VALUE));
        fits(Datatype.UINT16, 2, b -> b.putShort((short) -1));
        fits(Datatype.INT8, 1, b -> b.put(Byte.MIN_VALUE));
        fits(Datatype.UINT8, 1, b -> b.put((byte) -1));
        fits(Datatype.BOOL, 1, b -> b.put((byte) 0));
    }

    private static void fits(Datatype type, int size, Consumer<ByteBuffer> widest) throws Exception {
        ByteBuffer values = ByteBuffer.allocateDirect(N * size).order(ByteOrder.nativeOrder());
        for (int i = 0; i < N; i++) {
            widest.accept(values);
        }
        values.flip();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            OutputTensor.of("y", type, new long[]{N}, values).writeJson(g);
        }
        long weighed = (long) N * V2ResponseWriter.jsonBytesPerElement(type);
        assertTrue(out.size() <= weighed + 2, type + ": " + N + " elements print " + out.size() + " bytes, weighed " + weighed
                + " (" + out.toString().substring(0, 40) + "...)");
    }
}
