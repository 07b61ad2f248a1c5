package dev.hashdir.engine.bucket;

import dev.hashdir.engine.CorruptionException;

import dev.hashdir.engine.store.PageLayout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A reusable view (flyweight) of one bucket page in {@link BucketLayout}: header fields, slot
 * states under their SECDED code, fingerprints, keys, payloads and whole records. It never keeps a
 * page past the operation it was wrapped in; {@link BucketPages} wraps it.
 *
 * <p>Invariants kept by every mutator: a record is a KEY slot followed by its CONTINUATION slots
 * (inline values ascending unsigned, every continuation full but the last), or one KEY_EXTERNAL
 * slot; the header's used and records counts match the mask; every mask word matches its check
 * byte. Callers check that slots they fill are free.
 *
 * <p>Threading: engine thread only.
 */
public final class BucketPage {

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG_BE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101_0101_0101_0101L;
    private static final long HIGHS = 0x8080_8080_8080_8080L;
    private static final long EVEN_BITS = 0x5555_5555_5555_5555L;

    private final BucketLayout layout;
    private final int slots;
    private final int keyBytes;
    private final int storedKeyBytes;
    private final int perContinuation;
    /** The page is bytes [base, base + pageSize) of this segment (a frame of the cache's memory, or a page alone). */
    private MemorySegment page;
    private long base;
    private long id;

    public BucketPage(BucketLayout layout) {
        this.layout = layout;
        this.slots = layout.slots();
        this.keyBytes = layout.keyBytes();
        this.storedKeyBytes = layout.storedKeyBytes();
        this.perContinuation = layout.valuesPerContinuation();
    }

    /** Points this view at {@code page}, the image of page {@code id}. */
    public BucketPage wrap(MemorySegment page, long id) {
        return wrap(page, 0, id);
    }

    /** Points this view at bytes [base, base + pageSize) of {@code memory}, the image of page {@code id}. */
    public BucketPage wrap(MemorySegment memory, long base, long id) {
        this.page = memory;
        this.base = base;
        this.id = id;
        return this;
    }

    public long id() {
        return id;
    }

    /** The page as a segment of its own (a new slice when the view is on a frame of shared memory). */
    public MemorySegment segment() {
        return base == 0 && page.byteSize() == layout.pageSize() ? page : page.asSlice(base, layout.pageSize());
    }

    /** The page kind code in the common header ({@link PageLayout#kindCode}). */
    public int kindCode() {
        return page.get(ValueLayout.JAVA_BYTE, base + PageLayout.KIND_OFFSET) & 0xFF;
    }

    public BucketLayout layout() {
        return layout;
    }

    // ---- header ---------------------------------------------------------------------------

    /** Writes the header of a fresh (zeroed) page. */
    public void initHeader(int depth) {
        depth(depth);
        page.set(SHORT, base + BucketLayout.SLOTS_OFFSET, (short) slots);
    }

    public int depth() {
        return page.get(ValueLayout.JAVA_BYTE, base + BucketLayout.DEPTH_OFFSET);
    }

    public void depth(int depth) {
        page.set(ValueLayout.JAVA_BYTE, base + BucketLayout.DEPTH_OFFSET, (byte) depth);
    }

    public long next() {
        return page.get(LONG, base + BucketLayout.NEXT_OFFSET);
    }

    public void next(long next) {
        page.set(LONG, base + BucketLayout.NEXT_OFFSET, next);
    }

    public int used() {
        return Short.toUnsignedInt(page.get(SHORT, base + BucketLayout.USED_OFFSET));
    }

    public int records() {
        return Short.toUnsignedInt(page.get(SHORT, base + BucketLayout.RECORDS_OFFSET));
    }

    public int freeSlots() {
        return slots - used();
    }

    public int slots() {
        return slots;
    }

    private void addUsed(int delta) {
        page.set(SHORT, base + BucketLayout.USED_OFFSET, (short) (used() + delta));
    }

    private void addRecords(int delta) {
        page.set(SHORT, base + BucketLayout.RECORDS_OFFSET, (short) (records() + delta));
    }

    // ---- state mask and its code ----------------------------------------------------------

    /** The first mask word that does not match its check byte, or -1 when the mask is clean. */
    public int firstDamagedWord() {
        for (int w = 0; w < layout.maskWords(); w++) {
            if (Secded.syndrome(maskWord(w), checkByte(w)) != 0) {
                return w;
            }
        }
        return -1;
    }

    /**
     * Corrects every mask word with one flipped bit (page must be writable) and returns how many.
     *
     * @throws CorruptionException when a word has two or more flipped bits: its slots cannot be read
     */
    public int repairMask() {
        int corrected = 0;
        for (int w = 0; w < layout.maskWords(); w++) {
            long word = maskWord(w);
            int syndrome = Secded.syndrome(word, checkByte(w));
            if (syndrome == 0) {
                continue;
            }
            if (!Secded.correctable(syndrome)) {
                throw new CorruptionException(id, layout.maskWordOffset(w), "bucket state mask",
                        "a SECDED codeword with at most one flipped bit",
                        "two or more flipped bits in mask word " + w + " (syndrome 0x"
                                + Integer.toHexString(syndrome) + ")");
            }
            writeMaskWord(w, Secded.correct(word, syndrome));
            corrected++;
        }
        return corrected;
    }

    public int state(int slot) {
        return (int) (maskWord(slot >>> 5) >>> ((slot & 31) << 1)) & 3;
    }

    private void state(int slot, int state) {
        int w = slot >>> 5;
        int shift = (slot & 31) << 1;
        writeMaskWord(w, (maskWord(w) & ~(3L << shift)) | ((long) state << shift));
    }

    private long maskWord(int w) {
        return page.get(LONG, base + layout.maskWordOffset(w));
    }

    private int checkByte(int w) {
        return page.get(ValueLayout.JAVA_BYTE, base + layout.eccOffset(w)) & 0xFF;
    }

    private void writeMaskWord(int w, long word) {
        page.set(LONG, base + layout.maskWordOffset(w), word);
        page.set(ValueLayout.JAVA_BYTE, base + layout.eccOffset(w), (byte) Secded.checkBits(word));
    }

    // ---- slots ----------------------------------------------------------------------------

    public int fingerprint(int slot) {
        return page.get(ValueLayout.JAVA_BYTE, base + layout.fingerprintOffset(slot)) & 0xFF;
    }

    private void fingerprint(int slot, int fp) {
        page.set(ValueLayout.JAVA_BYTE, base + layout.fingerprintOffset(slot), (byte) fp);
    }

    public long payload(int slot) {
        return page.get(LONG, base + layout.payloadOffset(slot));
    }

    public void payload(int slot, long value) {
        page.set(LONG, base + layout.payloadOffset(slot), value);
    }

    /** The first eight key bytes of the record at {@code slot}, big-endian: its directory prefix. */
    public long prefix(int slot) {
        return page.get(LONG_BE, base + layout.slotOffset(slot));
    }

    /** Whether the record at {@code slot} holds the key at {@code offset} of {@code key} (fingerprint already matched). */
    public boolean keyEquals(int slot, MemorySegment key, long offset) {
        // eight bytes at a time, the last word overlapping the one before (stored keys have at least 15 bytes)
        long at = base + layout.slotOffset(slot);
        int i = 0;
        for (; i + Long.BYTES <= storedKeyBytes; i += Long.BYTES) {
            if (page.get(LONG, at + i) != key.get(LONG, offset + i)) {
                return false;
            }
        }
        int last = storedKeyBytes - Long.BYTES;
        return i == storedKeyBytes || page.get(LONG, at + last) == key.get(LONG, offset + last);
    }

    /** Writes the full key of the record at {@code slot} to {@code dst} at {@code offset}. */
    public void copyKey(int slot, MemorySegment dst, long offset) {
        long at = base + layout.slotOffset(slot);
        MemorySegment.copy(page, at, dst, offset, storedKeyBytes);
        dst.set(ValueLayout.JAVA_BYTE, offset + storedKeyBytes,
                (byte) Fingerprint.lastByte(fingerprint(slot), page, at, keyBytes));
    }

    /** The slot of the record holding {@code key} (fingerprint {@code fp}), or -1. Allocation-free. */
    public int find(MemorySegment key, long offset, int fp) {
        long pattern = (fp & 0xFFL) * ONES;
        long fps = base + layout.fingerprintOffset(0);
        for (int group = 0; group < slots; group += 8) {
            long x = page.get(LONG, fps + group) ^ pattern;
            // flags every matching byte, and may flag a few that do not match (borrows): candidates only
            long zeros = (x - ONES) & ~x & HIGHS;
            if (slots - group < 8) {
                zeros &= (1L << ((slots - group) << 3)) - 1;
            }
            while (zeros != 0) {
                int slot = group + (Long.numberOfTrailingZeros(zeros) >>> 3);
                // the fingerprint carries the key's last byte: only an exact match may compare the rest
                if (fingerprint(slot) == fp && SlotState.holdsKey(state(slot)) && keyEquals(slot, key, offset)) {
                    return slot;
                }
                zeros &= zeros - 1;
            }
        }
        return -1;
    }

    /** The first slot at or after {@code from} that starts a record, or -1. */
    public int nextRecord(int from) {
        if (from >= slots) {
            return -1;
        }
        // a word (32 slots) at a time: bit 2i of a mask word is the low state bit of its slot i,
        // set exactly for KEY and KEY_EXTERNAL (SlotState.holdsKey); slots past the last are FREE
        int w = from >>> 5;
        long keys = maskWord(w) & EVEN_BITS & (-1L << ((from & 31) << 1));
        while (keys == 0) {
            if (++w == layout.maskWords()) {
                return -1;
            }
            keys = maskWord(w) & EVEN_BITS;
        }
        return (w << 5) + (Long.numberOfTrailingZeros(keys) >>> 1);
    }

    /** The first of {@code length} consecutive free slots, or -1. */
    public int freeRun(int length) {
        if (length == 1) {
            return firstFree();
        }
        int run = 0;
        for (int slot = 0; slot < slots; slot++) {
            run = state(slot) == SlotState.FREE ? run + 1 : 0;
            if (run == length) {
                return slot - length + 1;
            }
        }
        return -1;
    }

    /** The first free slot, or -1: a scan of the mask a word (32 slots) at a time. */
    private int firstFree() {
        for (int w = 0; w < layout.maskWords(); w++) {
            long word = maskWord(w);
            long free = ~(word | word >>> 1) & EVEN_BITS; // bit 2i: slot i of the word is FREE (state 00)
            if (free != 0) {
                // bits past the last slot are 0 (FREE): the first of them means no real slot is free
                int slot = (w << 5) + (Long.numberOfTrailingZeros(free) >>> 1);
                return slot < slots ? slot : -1;
            }
        }
        return -1;
    }

    /** Whether slots {@code [from, from + length)} exist and are all free. */
    public boolean freeAt(int from, int length) {
        if (from + length > slots) {
            return false;
        }
        for (int slot = from; slot < from + length; slot++) {
            if (state(slot) != SlotState.FREE) {
                return false;
            }
        }
        return true;
    }

    // ---- records --------------------------------------------------------------------------

    /** Slots the record at {@code slot} takes. */
    public int recordSlots(int slot) {
        int end = slot + 1;
        while (end < slots && state(end) == SlotState.CONTINUATION) {
            end++;
        }
        return end - slot;
    }

    /** Whether the record at {@code slot} keeps its set in a value list. */
    public boolean isExternal(int slot) {
        return state(slot) == SlotState.KEY_EXTERNAL;
    }

    /** Values of the inline record at {@code slot}. */
    public int inlineCount(int slot) {
        int count = 1;
        for (int c = slot + 1; c < slots && state(c) == SlotState.CONTINUATION; c++) {
            count += fingerprint(c);
        }
        return count;
    }

    /** Copies the values of the inline record at {@code slot} (ascending) into {@code dst}; returns how many. */
    public int readInline(int slot, long[] dst) {
        dst[0] = payload(slot);
        int n = 1;
        for (int c = slot + 1; c < slots && state(c) == SlotState.CONTINUATION; c++) {
            long at = layout.slotOffset(c);
            int k = fingerprint(c);
            for (int i = 0; i < k; i++) {
                dst[n++] = page.get(LONG, base + at + 8L * i);
            }
        }
        return n;
    }

    /** Writes a new inline record into free slots {@code [slot, slot + inlineSlots(count))}. */
    public void putInline(int slot, MemorySegment key, long offset, int fp, long[] values, int count) {
        writeKey(slot, key, offset, fp);
        state(slot, SlotState.KEY);
        int length = writeValues(slot, values, count);
        addUsed(length);
        addRecords(1);
    }

    /** Writes a new external record (value list {@code root}) into free slot {@code slot}. */
    public void putExternal(int slot, MemorySegment key, long offset, int fp, long root) {
        writeKey(slot, key, offset, fp);
        payload(slot, root);
        state(slot, SlotState.KEY_EXTERNAL);
        addUsed(1);
        addRecords(1);
    }

    /**
     * Replaces the values of the inline record at {@code slot} in place; the slots the new set needs
     * beyond the old record must be free ({@link #freeAt}).
     */
    public void rewriteInline(int slot, long[] values, int count) {
        int before = recordSlots(slot);
        clearContinuations(slot, before);
        addUsed(writeValues(slot, values, count) - before);
    }

    /** Turns the record at {@code slot} into an external one with value list {@code root}. */
    public void makeExternal(int slot, long root) {
        int before = recordSlots(slot);
        clearContinuations(slot, before);
        payload(slot, root);
        state(slot, SlotState.KEY_EXTERNAL);
        addUsed(1 - before);
    }

    /** Turns the external record at {@code slot} into an inline one; its continuation slots must be free. */
    public void makeInline(int slot, long[] values, int count) {
        state(slot, SlotState.KEY);
        addUsed(writeValues(slot, values, count) - 1);
    }

    /** Frees the record at {@code slot} (the caller destroys its value list, if any). */
    public void removeRecord(int slot) {
        int length = recordSlots(slot);
        for (int s = slot; s < slot + length; s++) {
            state(s, SlotState.FREE);
        }
        addUsed(-length);
        addRecords(-1);
    }

    /** Copies the record at {@code from} of {@code src} into free slots of this page at {@code to}; returns its length. */
    public int copyRecord(BucketPage src, int from, int to) {
        int length = src.recordSlots(from);
        MemorySegment.copy(src.page, src.base + src.layout.slotOffset(from), page, base + layout.slotOffset(to),
                (long) length * layout.slotBytes());
        MemorySegment.copy(src.page, src.base + src.layout.fingerprintOffset(from), page,
                base + layout.fingerprintOffset(to), length);
        for (int k = 0; k < length; k++) {
            state(to + k, src.state(from + k));
        }
        addUsed(length);
        addRecords(1);
        return length;
    }

    /**
     * Moves every record whose directory prefix has bit {@code bit} set (0 = least significant of
     * the first eight key bytes read big-endian) to {@code dst}, an empty page wrapped for writing,
     * packed from its slot 0: a split in one pass, each mask word and check byte written once.
     * Returns how many records moved.
     */
    public int moveRecordsWithBit(int bit, BucketPage dst) {
        if (dst.used() != 0) {
            throw new IllegalStateException("split target page " + dst.id + " is not empty: " + dst.used() + " slots used");
        }
        int to = 0;
        int moved = 0;
        for (int s = nextRecord(0); s >= 0; s = nextRecord(s + 1)) {
            if ((prefix(s) >>> bit & 1) == 0) {
                continue;
            }
            int length = recordSlots(s);
            MemorySegment.copy(page, base + layout.slotOffset(s), dst.page, dst.base + layout.slotOffset(to),
                    (long) length * layout.slotBytes());
            MemorySegment.copy(page, base + layout.fingerprintOffset(s), dst.page, dst.base + layout.fingerprintOffset(to),
                    length);
            for (int k = 0; k < length; k++) {
                dst.rawState(to + k, state(s + k));
                rawState(s + k, SlotState.FREE);
            }
            to += length;
            moved++;
        }
        // the states above changed without their check bytes: seal both masks now
        sealMask();
        dst.sealMask();
        addUsed(-to);
        addRecords(-moved);
        dst.addUsed(to);
        dst.addRecords(moved);
        return moved;
    }

    /** Sets a slot's state bits without updating the word's check byte ({@link #sealMask} must follow). */
    private void rawState(int slot, int state) {
        int w = slot >>> 5;
        int shift = (slot & 31) << 1;
        page.set(LONG, base + layout.maskWordOffset(w), (maskWord(w) & ~(3L << shift)) | ((long) state << shift));
    }

    /** Writes the check byte of every mask word. */
    private void sealMask() {
        for (int w = 0; w < layout.maskWords(); w++) {
            page.set(ValueLayout.JAVA_BYTE, base + layout.eccOffset(w), (byte) Secded.checkBits(maskWord(w)));
        }
    }

    /** Moves every record to the front, leaving one run of free slots at the end. */
    public void compact(BucketPage scratch) {
        MemorySegment.copy(page, base, scratch.page, scratch.base, layout.pageSize());
        for (int w = 0; w < layout.maskWords(); w++) {
            writeMaskWord(w, 0);
        }
        page.set(SHORT, base + BucketLayout.USED_OFFSET, (short) 0);
        page.set(SHORT, base + BucketLayout.RECORDS_OFFSET, (short) 0);
        int to = 0;
        for (int from = scratch.nextRecord(0); from >= 0; from = scratch.nextRecord(from + 1)) {
            to += copyRecord(scratch, from, to);
        }
    }

    private void writeKey(int slot, MemorySegment key, long offset, int fp) {
        MemorySegment.copy(key, offset, page, base + layout.slotOffset(slot), storedKeyBytes);
        fingerprint(slot, fp);
    }

    /** Writes values into the payload of {@code slot} and the continuations after it; returns the record's slots. */
    private int writeValues(int slot, long[] values, int count) {
        payload(slot, values[0]);
        int c = slot;
        for (int i = 1; i < count; i += perContinuation) {
            c++;
            int k = Math.min(perContinuation, count - i);
            long at = layout.slotOffset(c);
            for (int j = 0; j < k; j++) {
                page.set(LONG, base + at + 8L * j, values[i + j]);
            }
            fingerprint(c, k);
            state(c, SlotState.CONTINUATION);
        }
        return c - slot + 1;
    }

    private void clearContinuations(int slot, int length) {
        for (int s = slot + 1; s < slot + length; s++) {
            state(s, SlotState.FREE);
        }
    }

    @Override
    public String toString() {
        return "BucketPage[id=" + id + ", depth=" + depth() + ", used=" + used() + "/" + slots + ", records="
                + records() + ", next=" + next() + "]";
    }
}
