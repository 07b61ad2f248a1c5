package dev.hashdir.engine.bucket;

/**
 * The extended Hamming (72,64) code: 8 check bits per 64-bit word correct any single flipped bit of
 * the 72 and detect any two. It protects the slot state masks of bucket pages, whose bits decide
 * how every slot is read.
 *
 * <p>Codeword positions 1..71 hold the word: positions that are powers of two (1, 2, 4, .., 64)
 * are the seven Hamming parity bits, the other 64 positions the data bits in order (data bit 0 at
 * position 3, bit 1 at 5, ...). Check byte: bit {@code j} (0..6) is the parity bit at position
 * {@code 2^j}, bit 7 the parity of all 71 other bits, so a clean codeword has even overall parity.
 *
 * <p>Decoding: the syndrome {@code s} is the position of a single flipped bit (0 if none), {@code p}
 * the overall parity. {@code p=0,s=0}: clean. {@code p=1}: one bit flipped, at {@code s} (at bit 7
 * of the check byte if {@code s=0}): correctable. {@code p=0,s!=0}: two bits flipped: detected,
 * not correctable.
 *
 * <p>Stateless; allocation-free.
 */
public final class Secded {

    /** Positions 1..71; powers of two are parity positions. */
    private static final int POSITIONS = 71;
    private static final int[] DATA_POSITION = new int[64];
    private static final int[] DATA_INDEX_AT = new int[128];
    private static final long[] PARITY_MASK = new long[7];

    static {
        java.util.Arrays.fill(DATA_INDEX_AT, -1);
        int bit = 0;
        for (int pos = 1; pos <= POSITIONS; pos++) {
            if (Integer.bitCount(pos) != 1) {
                DATA_POSITION[bit] = pos;
                DATA_INDEX_AT[pos] = bit;
                bit++;
            }
        }
        for (int j = 0; j < 7; j++) {
            long mask = 0;
            for (int b = 0; b < 64; b++) {
                if ((DATA_POSITION[b] & (1 << j)) != 0) {
                    mask |= 1L << b;
                }
            }
            PARITY_MASK[j] = mask;
        }
    }

    private Secded() {
    }

    /** The check byte of {@code data} (0..255); the check byte of 0 is 0. */
    public static int checkBits(long data) {
        int hamming = hamming(data);
        int overall = (Long.bitCount(data) + Integer.bitCount(hamming)) & 1;
        return hamming | overall << 7;
    }

    /**
     * The syndrome of a stored (data, check) pair: 0 when clean. Bits 0..6: the position of a single
     * flipped bit; bit 7: the overall parity (1 = an odd number of bits flipped).
     */
    public static int syndrome(long data, int check) {
        int s = (hamming(data) ^ check) & 0x7F;
        int p = (Long.bitCount(data) + Integer.bitCount(check & 0xFF)) & 1;
        return s | p << 7;
    }

    /** Whether a nonzero syndrome names one flipped bit (correctable); else two or more flipped. */
    public static boolean correctable(int syndrome) {
        return (syndrome & 0x80) != 0 && (syndrome & 0x7F) <= POSITIONS;
    }

    /** Whether the flipped bit of a correctable syndrome is in the data word (else in the check byte). */
    public static boolean dataBitFlipped(int syndrome) {
        return correctable(syndrome) && DATA_INDEX_AT[syndrome & 0x7F] >= 0;
    }

    /** The data word with the single flipped bit of a correctable {@code syndrome} put back. */
    public static long correct(long data, int syndrome) {
        if (!correctable(syndrome)) {
            throw new IllegalArgumentException("syndrome is not correctable: syndrome=0x" + Integer.toHexString(syndrome));
        }
        int index = DATA_INDEX_AT[syndrome & 0x7F];
        return index >= 0 ? data ^ (1L << index) : data;
    }

    private static int hamming(long data) {
        int c = 0;
        for (int j = 0; j < 7; j++) {
            c |= (Long.bitCount(data & PARITY_MASK[j]) & 1) << j;
        }
        return c;
    }
}
