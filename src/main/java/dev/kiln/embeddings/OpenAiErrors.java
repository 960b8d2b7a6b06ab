package dev.kiln.embeddings;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** Errors from this resource leave in OpenAI's shape, {@code {"error": {"message", "type", "param", "code"}}}. */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface OpenAiErrors {
}
