package dev.kiln.web;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.type.LogicalType;
import io.quarkus.jackson.ObjectMapperCustomizer;
import jakarta.inject.Singleton;

/**
 * How every JSON body is read and written, the V2 tensor codec's included (InferenceService uses this mapper).
 * <ul>
 * <li>Floats leave through Jackson's Schubfach writer instead of JDK 17's slow {@code Float.toString}:
 * an embedding is 384 of them, and printing them was the largest cost of a /v1/embeddings answer.</li>
 * <li>A key given twice in one object is refused (400): which of the two a caller meant is a guess,
 * and Jackson's record binding answered some such bodies with a 500 instead of picking one.</li>
 * <li>Scalars bind only to their own JSON type (400 otherwise): {@code "3"} or {@code 2.5} for an
 * integer, {@code 1} or {@code "true"} for a boolean, {@code 45} for a string were converted by
 * Jackson without a word ({@code 2.5} became 2). An integer still binds to a floating-point field.</li>
 * </ul>
 */
@Singleton
public class JacksonSettings implements ObjectMapperCustomizer {

    @Override
    public void customize(ObjectMapper mapper) {
        mapper.getFactory().enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER.mappedFeature());
        mapper.getFactory().enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER.mappedFeature());
        mapper.getFactory().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION.mappedFeature());
        strictScalars(mapper);
    }

    private static void strictScalars(ObjectMapper mapper) {
        mapper.disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);
        for (LogicalType number : new LogicalType[]{LogicalType.Integer, LogicalType.Float, LogicalType.Boolean}) {
            mapper.coercionConfigFor(number).setCoercion(CoercionInputShape.String, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail);
        }
        mapper.coercionConfigFor(LogicalType.Integer).setCoercion(CoercionInputShape.Float, CoercionAction.Fail);
        mapper.coercionConfigFor(LogicalType.Boolean).setCoercion(CoercionInputShape.Integer, CoercionAction.Fail);
        mapper.coercionConfigFor(LogicalType.Textual).setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail).setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
    }
}
