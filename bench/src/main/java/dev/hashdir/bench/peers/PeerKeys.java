package dev.hashdir.bench.peers;

/**
 * Deterministic keys and values, the same for every store: key {@code i} of a stream is the words
 * {@code 4i .. 4i+3} of the splitmix64 sequence seeded with the stream's seed (as
 * {@code dev.hashdir.bench.SplitMix64} would draw them), written little-endian; its value is
 * word {@code i} of the sequence seeded with {@link #VALUE_SEED}, so values use the full unsigned
 * 64-bit range. Any key can be regenerated from its index, so nothing is kept in memory.
 *
 * <p>Keys present in a store use {@link #HIT_SEED} (indices {@code 0 .. n-1} are preloaded, the
 * following indices are fresh keys for inserts); absent keys use {@link #MISS_SEED}.
 *
 * <p>Threading: stateless, thread-safe.
 */
public final class PeerKeys {

    public static final long HIT_SEED = 0x5EED_0001L;
    public static final long MISS_SEED = 0x5EED_0002L;
    public static final long VALUE_SEED = 0x5EED_0003L;

    private static final long GAMMA = 0x9E3779B97F4A7C15L;

    private PeerKeys() {
    }

    /** Writes key {@code index} of the stream {@code seed} into {@code key[0 .. 31]}. */
    public static void key(long seed, long index, byte[] key) {
        long position = index * (PeerStore.KEY_BYTES / Long.BYTES);
        for (int word = 0; word < PeerStore.KEY_BYTES / Long.BYTES; word++) {
            long v = splitmix(seed, position + word);
            int at = word * Long.BYTES;
            for (int b = 0; b < Long.BYTES; b++) {
                key[at + b] = (byte) (v >>> (8 * b));
            }
        }
    }

    /** The value stored with key {@code index} of the hit stream. */
    public static long value(long index) {
        return splitmix(VALUE_SEED, index);
    }

    /** Word {@code position} (from 0) of the splitmix64 sequence seeded with {@code seed}. */
    static long splitmix(long seed, long position) {
        long z = seed + (position + 1) * GAMMA;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
