package dev.kiln.embeddings;

/**
 * Where a long text may be cut before tokenizing without changing its first tokens: never inside a
 * word, and after twice as many whitespace-separated words as tokens are kept. A word gives at least
 * one token (one that normalises to nothing is caught by the caller, which then tokenizes the whole
 * text), and BERT's WordPiece, byte-level BPE and SentencePiece's Metaspace all split at whitespace
 * before anything else, so the kept tokens never see where the text was cut.
 */
final class LongTexts {

    private LongTexts() {
    }

    /** The text itself when it is short enough, else its first {@code 2 × (maxTokens + 1)} words. */
    static String prefix(String text, int maxTokens) {
        int words = 2 * (maxTokens + 1);
        if (text.length() <= words * 4L) {
            return text;
        }
        int seen = 0;
        boolean inWord = false;
        for (int i = 0; i < text.length(); i++) {
            boolean space = Character.isWhitespace(text.charAt(i));
            if (space && inWord && ++seen == words) {
                return text.substring(0, i);
            }
            inWord = !space;
        }
        return text;
    }
}
