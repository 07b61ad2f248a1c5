package dev.hashdir.engine;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The answer of {@link HashDir#scan}: up to its capacity of keys, ascending unsigned
 * lexicographic, and whether the scan may go on. The last key is the cursor of the next call.
 * Caller-owned and reusable.
 *
 * <p>Threading: not thread-safe; one owner at a time.
 */
public final class ScanResult {

    private final int keyBytes;
    private final byte[] keys;
    private int size;
    private boolean more;

    /** A result for up to {@code capacity} (1..{@value HashDir#MAX_LIMIT}) keys of {@code keyBytes} bytes. */
    public ScanResult(int keyBytes, int capacity) {
        if (capacity < 1 || capacity > HashDir.MAX_LIMIT) {
            throw new IllegalArgumentException("result capacity must be 1.." + HashDir.MAX_LIMIT + ": capacity="
                    + capacity);
        }
        if (keyBytes < 1) {
            throw new IllegalArgumentException("key bytes must be positive: keyBytes=" + keyBytes);
        }
        this.keyBytes = keyBytes;
        this.keys = new byte[keyBytes * capacity];
    }

    public int capacity() {
        return keys.length / keyBytes;
    }

    public int keyBytes() {
        return keyBytes;
    }

    /** Keys in this page. */
    public int size() {
        return size;
    }

    /** Key {@code i} as a new array. */
    public byte[] key(int i) {
        check(i);
        return Arrays.copyOfRange(keys, i * keyBytes, (i + 1) * keyBytes);
    }

    /** Copies key {@code i} into {@code dst}. */
    public void copyKey(int i, MemorySegment dst) {
        check(i);
        MemorySegment.copy(MemorySegment.ofArray(keys), (long) i * keyBytes, dst, 0, keyBytes);
    }

    /** The cursor to continue after this page: its last key, or null when it is empty. */
    public byte[] cursor() {
        return size == 0 ? null : key(size - 1);
    }

    /** False only when the scan reached the end of the key space. */
    public boolean more() {
        return more;
    }

    byte[] buffer() {
        return keys;
    }

    void fill(int size, boolean more) {
        this.size = size;
        this.more = more;
    }

    private void check(int i) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException("key index " + i + " out of 0.." + size);
        }
    }

    @Override
    public String toString() {
        return "ScanResult[size=" + size + ", more=" + more + "]";
    }
}
