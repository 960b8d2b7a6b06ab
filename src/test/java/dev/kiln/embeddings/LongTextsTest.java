package dev.kiln.embeddings;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

class LongTextsTest {

    @Test
    void aTextWithoutWhitespaceIsCappedAtAHundredCharactersAToken() {
        assertEquals(100 * 130, LongTexts.prefix("中".repeat(1_000_000), 128).length());
        String short_ = "中".repeat(13_000);
        assertSame(short_, LongTexts.prefix(short_, 128));
    }

    @Test
    void theCapNeverSplitsASurrogatePair() {
        String emoji = "😀".repeat(10_000);   // two chars each: the cap (13,000 chars) falls between two pairs
        assertEquals(13_000, LongTexts.capped(emoji, 128).length());
        String shifted = LongTexts.capped("x" + emoji, 128);   // here inside one: the pair is left out whole
        assertEquals(12_999, shifted.length());
        assertEquals("x" + "😀".repeat(6_499), shifted);
    }

    @Test
    void wordsAreCutFirstAndTheCapAfter() {
        String words = "word ".repeat(10_000);
        assertEquals(2 * 129 * 5 - 1, LongTexts.prefix(words, 128).length());
    }
}
