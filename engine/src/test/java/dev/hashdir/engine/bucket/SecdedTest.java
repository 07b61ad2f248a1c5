package dev.hashdir.engine.bucket;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SecdedTest {

    private static final long SEED = 0x5EC_DEDL;

    /** Words worth checking exhaustively: edges plus seeded random ones. */
    private static long[] words() {
        SplittableRandom random = new SplittableRandom(SEED);
        long[] words = new long[40];
        words[0] = 0;
        words[1] = -1;
        words[2] = 0x5555_5555_5555_5555L;
        words[3] = 0xAAAA_AAAA_AAAA_AAAAL;
        words[4] = 1;
        words[5] = Long.MIN_VALUE;
        for (int i = 6; i < words.length; i++) {
            words[i] = random.nextLong();
        }
        return words;
    }

    @Test
    void cleanWordsHaveZeroSyndrome() {
        assertThat(Secded.checkBits(0)).isZero();
        for (long w : words()) {
            assertThat(Secded.syndrome(w, Secded.checkBits(w))).as("word %x", w).isZero();
        }
    }

    @Test
    void correctsEverySingleFlipOfDataOrCheckBits() {
        for (long w : words()) {
            int check = Secded.checkBits(w);
            for (int bit = 0; bit < 72; bit++) {
                long data = bit < 64 ? w ^ (1L << bit) : w;
                int c = bit < 64 ? check : check ^ (1 << (bit - 64));
                int syndrome = Secded.syndrome(data, c);
                assertThat(syndrome).as("word %x bit %d", w, bit).isNotZero();
                assertThat(Secded.correctable(syndrome)).as("word %x bit %d", w, bit).isTrue();
                assertThat(Secded.dataBitFlipped(syndrome)).as("word %x bit %d", w, bit).isEqualTo(bit < 64);
                assertThat(Secded.correct(data, syndrome)).as("word %x bit %d", w, bit).isEqualTo(w);
            }
        }
    }

    @Test
    void detectsEveryDoubleFlip() {
        for (long w : words()) {
            int check = Secded.checkBits(w);
            for (int a = 0; a < 72; a++) {
                for (int b = a + 1; b < 72; b++) {
                    long data = flipData(flipData(w, a), b);
                    int c = flipCheck(flipCheck(check, a), b);
                    int syndrome = Secded.syndrome(data, c);
                    assertThat(syndrome).as("word %x bits %d,%d", w, a, b).isNotZero();
                    assertThat(Secded.correctable(syndrome)).as("word %x bits %d,%d", w, a, b).isFalse();
                }
            }
        }
    }

    @Test
    void refusesToCorrectAnUncorrectableSyndrome() {
        long w = 0x1234_5678_9ABC_DEF0L;
        int syndrome = Secded.syndrome(w ^ 3, Secded.checkBits(w));
        assertThatThrownBy(() -> Secded.correct(w ^ 3, syndrome)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not correctable");
    }

    private static long flipData(long w, int bit) {
        return bit < 64 ? w ^ (1L << bit) : w;
    }

    private static int flipCheck(int c, int bit) {
        return bit < 64 ? c : c ^ (1 << (bit - 64));
    }
}
