package dev.kiln.install;

import dev.kiln.errors.KilnError;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * An {@code oci://registry[:port]/repository[:tag][@sha256:digest]} reference, read the way Docker
 * reads an image name: a first component without a dot, a colon or "localhost" is a Docker Hub
 * repository ({@code oci://user/model:1} is {@code registry-1.docker.io/user/model:1}, and a
 * one-component name gets {@code library/}); no tag and no digest means {@code latest}; a digest
 * wins over a tag. What a caller sends becomes a request path only through these patterns.
 */
record OciReference(String host, int port, String repository, String tag, String digest) {

    static final String SCHEME = "oci://";
    private static final String DOCKER_HUB = "registry-1.docker.io";
    private static final Pattern REPOSITORY = Pattern.compile(
            "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*");
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
    private static final Pattern DIGEST = Pattern.compile("sha256:[a-f0-9]{64}");
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\\[[0-9A-Fa-f:.]{2,45}]");
    private static final int MAX_LENGTH = 1024;

    static boolean isOci(String url) {
        return url != null && url.regionMatches(true, 0, SCHEME, 0, SCHEME.length());
    }

    /** True when the reference names its manifest by digest, which pins the content as a sha256 field would. */
    static boolean pinsDigest(String url) {
        try {
            return isOci(url) && parse(url).digest() != null;
        } catch (KilnError e) {
            return false;
        }
    }

    static OciReference parse(String url) {
        if (!isOci(url)) {
            throw invalid("it does not start with oci://");
        }
        if (url.length() > MAX_LENGTH) {
            throw invalid("it is longer than " + MAX_LENGTH + " characters");
        }
        String rest = url.substring(SCHEME.length());
        String digest = null;
        int at = rest.indexOf('@');
        if (at >= 0) {
            digest = rest.substring(at + 1);
            rest = rest.substring(0, at);
            if (!DIGEST.matcher(digest).matches()) {
                throw invalid("the digest must be sha256: and 64 lowercase hexadecimal characters");
            }
        }
        int slash = rest.indexOf('/');
        String first = slash < 0 ? "" : rest.substring(0, slash);
        boolean namesRegistry = first.contains(".") || first.contains(":") || first.equals("localhost");
        String authority = namesRegistry ? first : DOCKER_HUB;
        String path = namesRegistry ? rest.substring(slash + 1) : rest;
        String tag = null;
        int colon = path.lastIndexOf(':');
        if (colon > path.lastIndexOf('/')) {
            tag = path.substring(colon + 1);
            path = path.substring(0, colon);
            if (!TAG.matcher(tag).matches()) {
                throw invalid("the tag must be letters, digits, '_', '.' or '-' (at most 128)");
            }
        }
        if (!namesRegistry && !path.contains("/")) {
            path = "library/" + path;
        }
        if (!REPOSITORY.matcher(path).matches()) {
            throw invalid("the repository must be lowercase letters, digits and separators (. _ __ - /)");
        }
        if (tag == null && digest == null) {
            tag = "latest";
        }
        return new OciReference(host(authority), port(authority), path, tag, digest);
    }

    private static String host(String authority) {
        String host = authority.startsWith("[") ? authority.substring(0, authority.indexOf(']') + 1)
                : authority.contains(":") ? authority.substring(0, authority.indexOf(':')) : authority;
        if (!HOST.matcher(host).matches()) {
            throw invalid("the registry host is not a host name or address");
        }
        return host.toLowerCase(Locale.ROOT);
    }

    private static int port(String authority) {
        int close = authority.lastIndexOf(']');
        int colon = authority.indexOf(':', close + 1);
        if (colon < 0) {
            return -1;
        }
        try {
            int port = Integer.parseInt(authority.substring(colon + 1));
            if (port > 0 && port < 65536) {
                return port;
            }
        } catch (NumberFormatException e) {
            // Answered below.
        }
        throw invalid("the registry port is not a number from 1 to 65535");
    }

    private static KilnError invalid(String why) {
        // The text itself is not repeated: a user:password@ in front of the host must not come back in an answer.
        return KilnError.invalid("field 'url' is not a valid oci:// reference: " + why);
    }

    /** host[:port], as a Host header and a configuration entry spell it. */
    String authority() {
        return port > 0 ? host + ":" + port : host;
    }

    /** The digest when there is one, else the tag: what the manifest request asks for. */
    String manifestReference() {
        return digest != null ? digest : tag;
    }

    /** For messages and the model's manifest. */
    String shown() {
        return SCHEME + authority() + "/" + repository + (tag != null ? ":" + tag : "") + (digest != null ? "@" + digest : "");
    }
}
