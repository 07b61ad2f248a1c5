package dev.hashdir.engine.bucket;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * One-byte key fingerprints, from key bits the directory prefix does not use: the last byte of
 * the key XOR a mix of the seven bytes before it (the directory reads the first eight; keys have at
 * least sixteen). Because the mix only involves bytes the slot stores, the last byte can be
 * recovered from the fingerprint, so a slot stores {@code keyBytes - 1} key bytes and the
 * fingerprint costs no space. A fingerprint match plus equal stored bytes means equal keys.
 *
 * <p>Stateless; allocation-free.
 */
public final class Fingerprint {

    private static final ValueLayout.OfLong LONG_BE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final long LOW_7_BYTES = 0x00FF_FFFF_FFFF_FFFFL;
    private static final long MIX = 0x9E37_79B9_7F4A_7C15L;

    private Fingerprint() {
    }

    /** The fingerprint (0..255) of the {@code keyBytes}-byte key at {@code offset} of {@code key}. */
    public static int of(MemorySegment key, long offset, int keyBytes) {
        int last = key.get(ValueLayout.JAVA_BYTE, offset + keyBytes - 1) & 0xFF;
        return (last ^ mix(tail(key, offset, keyBytes))) & 0xFF;
    }

    /** The key's last byte, from its fingerprint and the first {@code keyBytes - 1} bytes at {@code offset}. */
    public static int lastByte(int fingerprint, MemorySegment head, long offset, int keyBytes) {
        return (fingerprint ^ mix(tail(head, offset, keyBytes))) & 0xFF;
    }

    /** Bytes keyBytes-8 .. keyBytes-2 of the key, big-endian in the low 56 bits. */
    private static long tail(MemorySegment key, long offset, int keyBytes) {
        return key.get(LONG_BE, offset + keyBytes - 9) & LOW_7_BYTES;
    }

    private static int mix(long sevenBytes) {
        return (int) ((sevenBytes * MIX) >>> 56);
    }
}
