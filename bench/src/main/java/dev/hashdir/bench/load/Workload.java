package dev.hashdir.bench.load;

/**
 * What one connection asks: an op mix (percent put / get / contains) over keys that are 32-byte
 * (or {@code keyBytes}) digests drawn from a seeded splitmix64, values u64. Keys are not stored:
 * key {@code i} of the key space is computed from {@code (keySeed, i)} into a reused buffer, so
 * every run with the same key seed asks for the same keys, whatever its own seed (which draws the
 * ops, the key indexes and the values put).
 * <ul>
 *   <li>{@code keySpace == 0}: every put goes to a fresh random key (the durable-put figure:
 *       every put adds a key); gets and contains then mostly miss.</li>
 *   <li>{@code keySpace > 0}: every op picks key {@code i} uniformly in {@code [0, keySpace)};
 *       the preload gave key {@code i} the value {@link #preloadValue}; contains asks for that
 *       value (a hit), puts add a random value.</li>
 * </ul>
 * Threading: one owner.
 */
final class Workload {

    private final int putPct;
    private final int getPct;
    private final long keySpace;
    private final long keySeed;
    private final byte[] key;
    private long state;
    private long value;

    /**
     * @param mix      percentages put, get, contains; they add up to 100
     * @param keySpace 0 (fresh keys) or the preloaded key count
     * @param keySeed  the key space's seed: key {@code i} and its preload value depend on it only
     * @param seed     the run's seed: the ops, key indexes and values drawn
     * @param stream   this connection's stream of ops (a different one per connection)
     */
    Workload(int[] mix, long keySpace, long keySeed, long seed, long stream, int keyBytes) {
        if (mix.length != 3 || mix[0] < 0 || mix[1] < 0 || mix[2] < 0 || mix[0] + mix[1] + mix[2] != 100) {
            throw new IllegalArgumentException("mix must be three percentages put:get:contains adding up to 100");
        }
        this.putPct = mix[0];
        this.getPct = mix[1];
        this.keySpace = keySpace;
        this.keySeed = keySeed;
        this.key = new byte[keyBytes];
        this.state = mix64(seed ^ mix64(stream + 0x5bd1e995L));
    }

    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private long draw() {
        return mix64(state += 0x9E3779B97F4A7C15L);
    }

    /** Draws the next op; its key is then in {@link #key()} and its value in {@link #value()}. */
    int next() {
        long r = draw();
        int pct = (int) Long.remainderUnsigned(r, 100);
        int op = pct < putPct ? Conn.PUT : pct < putPct + getPct ? Conn.GET : Conn.CONTAINS;
        if (keySpace == 0) {
            fill(key, draw(), draw());
            value = draw();
        } else {
            long i = Long.remainderUnsigned(draw(), keySpace);
            keyOf(i);
            value = op == Conn.PUT ? draw() : preloadValue(i);
        }
        return op;
    }

    /** Puts key {@code i} of the key space in {@link #key()}; its preload value in {@link #value()}. */
    void keyOf(long i) {
        fill(key, mix64(keySeed + 2 * i + 1), mix64(keySeed - 2 * i - 1));
        value = preloadValue(i);
    }

    long preloadValue(long i) {
        return mix64(keySeed ^ ~i);
    }

    private static void fill(byte[] key, long a, long b) {
        long x = a;
        for (int p = 0; p < key.length; p += 8) {
            for (int s = 0; s < 8 && p + s < key.length; s++) {
                key[p + s] = (byte) (x >>> (8 * s));
            }
            x = mix64(x + b);
        }
    }

    byte[] key() {
        return key;
    }

    long value() {
        return value;
    }
}
