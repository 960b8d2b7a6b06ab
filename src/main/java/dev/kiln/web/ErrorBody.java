package dev.kiln.web;

/** The error shape of every Kiln endpoint: {@code {"error": "what was wrong"}}. */
public record ErrorBody(String error) {
}
