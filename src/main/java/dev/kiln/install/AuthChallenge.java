package dev.kiln.install;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One challenge of a {@code WWW-Authenticate} header (RFC 7235): a scheme and its parameters, as in
 * {@code Bearer realm="https://auth.example.com/token",service="registry",scope="repository:m:pull"}.
 * A header may carry several challenges, and several headers arrive joined by commas.
 */
record AuthChallenge(String scheme, Map<String, String> params) {

    private static final int MAX_HEADER = 8 * 1024;

    static List<AuthChallenge> parse(String header) {
        List<AuthChallenge> out = new ArrayList<>();
        if (header == null || header.length() > MAX_HEADER) {
            return out;
        }
        Cursor c = new Cursor(header);
        AuthChallenge current = null;
        while (c.skipSeparators()) {
            String token = c.token();
            if (token.isEmpty()) {
                break;
            }
            c.skipSpaces();
            if (c.peek() == '=') {
                c.pos++;
                c.skipSpaces();
                String value = c.peek() == '"' ? c.quoted() : c.token();
                if (current != null) {
                    current.params.putIfAbsent(token.toLowerCase(Locale.ROOT), value);
                }
            } else {
                current = new AuthChallenge(token.toLowerCase(Locale.ROOT), new LinkedHashMap<>());
                out.add(current);
            }
        }
        return out;
    }

    String param(String name) {
        return params.get(name);
    }

    private static final class Cursor {
        final String s;
        int pos;

        Cursor(String s) {
            this.s = s;
        }

        char peek() {
            return pos < s.length() ? s.charAt(pos) : 0;
        }

        boolean skipSeparators() {
            while (pos < s.length() && (s.charAt(pos) == ',' || s.charAt(pos) == ' ' || s.charAt(pos) == '\t')) {
                pos++;
            }
            return pos < s.length();
        }

        void skipSpaces() {
            while (pos < s.length() && (s.charAt(pos) == ' ' || s.charAt(pos) == '\t')) {
                pos++;
            }
        }

        String token() {
            int start = pos;
            while (pos < s.length() && "\"=, \t".indexOf(s.charAt(pos)) < 0) {
                pos++;
            }
            return s.substring(start, pos);
        }

        String quoted() {
            StringBuilder b = new StringBuilder();
            pos++;
            while (pos < s.length() && s.charAt(pos) != '"') {
                if (s.charAt(pos) == '\\' && pos + 1 < s.length()) {
                    pos++;
                }
                b.append(s.charAt(pos++));
            }
            pos++;
            return b.toString();
        }
    }
}
