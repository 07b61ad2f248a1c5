package dev.hashdir.engine.bucket;

import dev.hashdir.engine.store.PageLayout;

/**
 * Binary layout of a bucket page (kind BUCKET; the OVERFLOW pages chained after it have the same
 * layout). Little-endian. Where the variable parts start depends on key bytes {@code K} and page
 * size, so an instance computes them once per store.
 *
 * <pre>
 *   offset       size        field
 *   ------       ----        ------------------------------------------------------------
 *        0         24        common header ({@link PageLayout})
 *       24          1        local depth L (the bucket's keys share their top L bits)
 *       25          1        flags (reserved, 0)
 *       26          2        slots n in the page
 *       28          2        used slots (not FREE)
 *       30          2        records (keys) in the page
 *       32          8        next page of the overflow chain (0 = none)
 *       40        8*W        state mask: 2 bits per slot ({@link SlotState}), slot i at bits
 *                            2*(i%32) of word i/32; W = ceil(2n/64)
 *   40+8*W  8*ceil(W/8)      SECDED check byte of each mask word ({@link Secded}), zero padded
 *       FP          n        fingerprint of each slot ({@link Fingerprint}); a CONTINUATION slot
 *                            keeps the number of values it holds there
 *       SL      n * S        slots, S = K - 1 + 8 bytes each
 *
 *   slot     KEY / KEY_EXTERNAL             CONTINUATION
 *   ----     -----------------------        ----------------------------------
 *      0     key bytes 0..K-2 (K-1)         up to floor(S/8) values, u64 each,
 *    K-1     payload u64: the value /        ascending
 *            value list root page id
 * </pre>
 *
 * <p>Why this slot: 32-byte keys with one value each need {@code 31 + 8 + 1} = 40 bytes and two
 * state bits per (key, value), so a 4 KiB page holds 100 of them (the fingerprint replaces the
 * key's last byte). An inline set of v values takes {@code 1 + ceil((v-1)/4)} slots.
 *
 * <p>Measured (random 32-byte keys, one value each, 4 KiB pages; pages * 4096 / keys): 53.9 bytes
 * a key at 10M keys (load factor 0.76), 66.3 at 1M (0.62). Buckets at one depth fill at the same
 * rate and split in waves, so between 1M and 10M it swings from 52.5 (0.78) to 66.4 (0.62) and
 * back, around the ln 2 = 0.69 average of extendible hashing (59 bytes a key). The directory adds
 * 8 bytes a bucket (under 0.2 a key).
 */
public final class BucketLayout {

    public static final int DEPTH_OFFSET = PageLayout.HEADER_BYTES;
    public static final int FLAGS_OFFSET = DEPTH_OFFSET + 1;
    public static final int SLOTS_OFFSET = DEPTH_OFFSET + 2;
    public static final int USED_OFFSET = DEPTH_OFFSET + 4;
    public static final int RECORDS_OFFSET = DEPTH_OFFSET + 6;
    public static final int NEXT_OFFSET = DEPTH_OFFSET + 8;
    public static final int MASK_OFFSET = NEXT_OFFSET + 8;
    /** Slots per mask word. */
    public static final int SLOTS_PER_WORD = 32;

    private final int keyBytes;
    private final int pageSize;
    private final int slots;
    private final int maskWords;
    private final int eccOffset;
    private final int fingerprintOffset;
    private final int slotOffset;
    private final int slotBytes;

    public BucketLayout(int keyBytes, int pageSize) {
        if (keyBytes < 16 || pageSize < 1024) {
            throw new IllegalArgumentException("bucket layout needs keyBytes >= 16 and pageSize >= 1024: keyBytes="
                    + keyBytes + ", pageSize=" + pageSize);
        }
        this.keyBytes = keyBytes;
        this.pageSize = pageSize;
        this.slotBytes = keyBytes - 1 + 8;
        int n = (pageSize - MASK_OFFSET) / (slotBytes + 1);
        while (bodyEnd(n) > pageSize) {
            n--;
        }
        this.slots = n;
        this.maskWords = words(n);
        this.eccOffset = MASK_OFFSET + 8 * maskWords;
        this.fingerprintOffset = eccOffset + eccBytes(maskWords);
        this.slotOffset = fingerprintOffset + n;
    }

    public int keyBytes() {
        return keyBytes;
    }

    public int pageSize() {
        return pageSize;
    }

    /** Slots per page. */
    public int slots() {
        return slots;
    }

    public int maskWords() {
        return maskWords;
    }

    /** Offset of mask word {@code w}. */
    public int maskWordOffset(int w) {
        return MASK_OFFSET + 8 * w;
    }

    /** Offset of the check byte of mask word {@code w}. */
    public int eccOffset(int w) {
        return eccOffset + w;
    }

    public int fingerprintOffset(int slot) {
        return fingerprintOffset + slot;
    }

    public int slotOffset(int slot) {
        return slotOffset + slot * slotBytes;
    }

    /** Offset of the payload of {@code slot}. */
    public int payloadOffset(int slot) {
        return slotOffset(slot) + keyBytes - 1;
    }

    public int slotBytes() {
        return slotBytes;
    }

    /** Key bytes a slot stores: all but the last. */
    public int storedKeyBytes() {
        return keyBytes - 1;
    }

    /** Values one CONTINUATION slot holds. */
    public int valuesPerContinuation() {
        return slotBytes / 8;
    }

    /** Slots a record with an inline set of {@code values} values takes. */
    public int inlineSlots(int values) {
        int per = valuesPerContinuation();
        return 1 + (values - 1 + per - 1) / per;
    }

    private static int words(int n) {
        return (2 * n + 63) / 64;
    }

    private static int eccBytes(int words) {
        return (words + 7) / 8 * 8;
    }

    private int bodyEnd(int n) {
        return MASK_OFFSET + 8 * words(n) + eccBytes(words(n)) + n * (slotBytes + 1);
    }

    @Override
    public String toString() {
        return "BucketLayout[keyBytes=" + keyBytes + ", pageSize=" + pageSize + ", slots=" + slots
                + ", slotBytes=" + slotBytes + ", maskWords=" + maskWords + "]";
    }
}
