package dev.kiln.web;

import io.quarkus.runtime.annotations.RegisterForReflection;

/** The error shape of every Kiln endpoint: {@code {"error": "what was wrong"}}. */
@RegisterForReflection
public record ErrorBody(String error) {
}
