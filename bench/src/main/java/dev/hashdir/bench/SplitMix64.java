package dev.hashdir.bench;

/**
 * The splitmix64 generator, bit for bit the one in {@code native/src/main/c/page_io_bench.c}, so the
 * Java and C benchmarks fill the same bytes and visit pages in the same orders.
 *
 * <p>Threading: not thread-safe (mutable state, one owner).
 */
final class SplitMix64 {

    private long state;

    SplitMix64(long seed) {
        this.state = seed;
    }

    long next() {
        long z = (state += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** A Fisher-Yates shuffle of {@code 0..n-1}, drawing as the C {@code shuffle()} does. */
    long[] permutation(int n) {
        long[] order = new long[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        for (int i = n; i > 1; i--) {
            int j = (int) Long.remainderUnsigned(next(), i);
            long t = order[i - 1];
            order[i - 1] = order[j];
            order[j] = t;
        }
        return order;
    }
}
