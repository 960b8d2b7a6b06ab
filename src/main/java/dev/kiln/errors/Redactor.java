package dev.kiln.errors;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Takes out of a text what tells a stranger where things are or how Kiln is built: file system
 * paths (the repository's becomes {@code <repository>}, any other {@code <path>}), Java class names
 * of exceptions, and stack frames. API paths ({@code /v2/...}, {@code /api/...}, {@code /q/...},
 * {@code /v1/...}) stay: they are how a message tells the caller what to call.
 */
public final class Redactor {

    private static final Pattern FILE_URL = Pattern.compile("file:/+[^\\s'\"]*");
    private static final Pattern PATH = Pattern.compile(
            "(?<![\\w.:/~>-])/(?!(?:api|v1|v2|q)(?:/|\\b))[\\w.@+~-]+(?:/[\\w.@+~-]*)*");
    private static final Pattern STACK_FRAME = Pattern.compile("\\s*\\bat [\\w.$]+\\([\\w.$]*(?::\\d+)?\\)");
    private static final Pattern CLASS_NAME = Pattern.compile("\\b(?:[a-z_][a-z0-9_]*\\.){2,}[A-Z][\\w$]*:?\\s?");

    private final String repository;

    public Redactor(String repositoryRoot) {
        this.repository = repositoryRoot;
    }

    public String redact(String text) {
        if (text == null || text.indexOf('/') < 0 && text.indexOf('.') < 0) {
            return text;
        }
        String s = text.replace(repository, "<repository>");
        s = FILE_URL.matcher(s).replaceAll("file://<path>");
        s = STACK_FRAME.matcher(s).replaceAll("");
        s = CLASS_NAME.matcher(s).replaceAll("");
        return PATH.matcher(s).replaceAll(Matcher.quoteReplacement("<path>"));
    }
}
