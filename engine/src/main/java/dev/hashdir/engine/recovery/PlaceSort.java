package dev.hashdir.engine.recovery;

import java.util.Arrays;

/**
 * A stable LSD radix sort of int entries by an unsigned 32-bit place each, in as few passes of at
 * most {@value #DIGIT_BITS} bits as the largest place needs (a store of a million pages: two of
 * 10 bits). Small digits keep the counts and each pass's write positions in the CPU's caches: two
 * passes of 16 bits spread each pass's writes over 65,536 places and took 73-117 ms for 2M entries
 * of a 10M-key store, against 50-92 ms (docs/benchmarks.md, "Session 15"). The scratch arrays are
 * kept for the next sort.
 *
 * <p>Threading: one thread (the replaying engine thread).
 */
final class PlaceSort {

    /** Bits of the place one pass sorts by at most. */
    static final int DIGIT_BITS = 11;

    private final int[] counts = new int[1 << DIGIT_BITS];
    private int[] scratchEntries = new int[0];
    private int[] scratchPlaces = new int[0];

    /**
     * Sorts {@code entries[0, n)} by {@code places[0, n)} (the place of each entry, unsigned),
     * stably, in place in both arrays. {@code placeBits} is any int whose highest set bit is that
     * of the largest place (the bitwise or of them all does).
     */
    void sort(int[] entries, int[] places, int n, int placeBits) {
        int bits = 32 - Integer.numberOfLeadingZeros(placeBits);
        int passes = (bits + DIGIT_BITS - 1) / DIGIT_BITS;
        if (passes == 0 || n < 2) {
            return;
        }
        if (scratchEntries.length < n) {
            scratchEntries = new int[Math.max(n, entries.length)];
            scratchPlaces = new int[scratchEntries.length];
        }
        int digit = (bits + passes - 1) / passes;
        int[] srcE = entries;
        int[] srcP = places;
        int[] dstE = scratchEntries;
        int[] dstP = scratchPlaces;
        for (int p = 0; p < passes; p++) {
            pass(n, p * digit, digit, srcE, srcP, dstE, dstP);
            int[] e = srcE;
            srcE = dstE;
            dstE = e;
            int[] q = srcP;
            srcP = dstP;
            dstP = q;
        }
        if (srcE != entries) { // an odd number of passes: the result is in the scratch arrays
            System.arraycopy(srcE, 0, entries, 0, n);
            System.arraycopy(srcP, 0, places, 0, n);
        }
    }

    private void pass(int n, int shift, int digit, int[] srcE, int[] srcP, int[] dstE, int[] dstP) {
        int[] count = counts;
        int size = 1 << digit;
        int mask = size - 1;
        Arrays.fill(count, 0, size, 0);
        for (int i = 0; i < n; i++) {
            count[(srcP[i] >>> shift) & mask]++;
        }
        int sum = 0;
        for (int b = 0; b < size; b++) {
            int c = count[b];
            count[b] = sum;
            sum += c;
        }
        for (int i = 0; i < n; i++) {
            int place = srcP[i];
            int to = count[(place >>> shift) & mask]++;
            dstE[to] = srcE[i];
            dstP[to] = place;
        }
    }
}
