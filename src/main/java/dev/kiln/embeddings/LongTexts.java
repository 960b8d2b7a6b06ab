package dev.kiln.embeddings;

/**
 * Where a long text may be cut before tokenizing without changing its first tokens: never inside a
 * word, and after twice as many whitespace-separated words as tokens are kept. A word gives at least
 * one token (one that normalises to nothing is caught by the caller, which then tokenizes the text up
 * to its {@link #capped cap}), and BERT's WordPiece, byte-level BPE and SentencePiece's Metaspace all
 * split at whitespace before anything else, so the kept tokens never see where the text was cut.
 *
 * <p>A text with no whitespace (Chinese or Japanese, a 5 MB run of one letter) has no such place, and
 * the tokenizer's own memory grows with the text it reads: about 550 bytes a CJK character, measured,
 * so one 5-million-character request killed a 3 GiB pod before its tokens were cut. Every text is
 * therefore also capped at {@link #CHARS_PER_TOKEN} characters a kept token: WordPiece reads a longer
 * word as one unknown token, so the kept tokens of any text whose tokens are not mostly such words, or
 * whitespace, come from before the cap.
 */
final class LongTexts {

    /** WordPiece's max_input_chars_per_word: a longer word is one [UNK], however long. */
    static final int CHARS_PER_TOKEN = 100;

    private LongTexts() {
    }

    /** The text itself when it is short enough, else its first {@code 2 × (maxTokens + 1)} words, at most {@link #capped}. */
    static String prefix(String text, int maxTokens) {
        return capped(words(text, maxTokens), maxTokens);
    }

    /** The text cut after {@code CHARS_PER_TOKEN × (maxTokens + 2)} characters, never inside a surrogate pair. */
    static String capped(String text, int maxTokens) {
        long cap = (long) CHARS_PER_TOKEN * (maxTokens + 2);
        if (text.length() <= cap) {
            return text;
        }
        int end = (int) cap;
        if (Character.isHighSurrogate(text.charAt(end - 1))) {
            end--;
        }
        return text.substring(0, end);
    }

    private static String words(String text, int maxTokens) {
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
