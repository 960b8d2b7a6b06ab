package dev.kiln.web;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.jackson.ObjectMapperCustomizer;
import jakarta.inject.Singleton;

/**
 * How every JSON body is read and written, the V2 tensor codec's included (InferenceService uses this mapper).
 * <ul>
 * <li>Floats leave through Jackson's Schubfach writer instead of JDK 17's slow {@code Float.toString}:
 * an embedding is 384 of them, and printing them was the largest cost of a /v1/embeddings answer.</li>
 * <li>A key given twice in one object is refused (400): which of the two a caller meant is a guess,
 * and Jackson's record binding answered some such bodies with a 500 instead of picking one.</li>
 * </ul>
 */
@Singleton
public class JacksonSettings implements ObjectMapperCustomizer {

    @Override
    public void customize(ObjectMapper mapper) {
        mapper.getFactory().enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER.mappedFeature());
        mapper.getFactory().enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER.mappedFeature());
        mapper.getFactory().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION.mappedFeature());
    }
}
