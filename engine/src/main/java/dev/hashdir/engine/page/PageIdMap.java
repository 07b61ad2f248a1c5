package dev.hashdir.engine.page;

import java.util.Arrays;

/**
 * Page id to frame number, without boxing: open addressing with linear probing over two parallel
 * arrays, backward-shift deletion (no tombstones). Id 0 (the null page) marks an empty slot.
 *
 * <p>Threading: owned by one {@link PageCache}; engine thread only.
 */
final class PageIdMap {

    private static final long GOLDEN = 0x9E37_79B9_7F4A_7C15L;

    private long[] keys;
    private int[] values;
    private int mask;
    private int shift;
    private int size;

    /** A map that holds {@code expected} entries at load factor at most 1/2 before it grows. */
    PageIdMap(int expected) {
        int capacity = Integer.highestOneBit(Math.max(16, expected) * 2 - 1) << 1;
        allocate(capacity);
    }

    int size() {
        return size;
    }

    /** The frame of {@code id}, or -1. */
    int get(long id) {
        int i = home(id);
        while (true) {
            long k = keys[i];
            if (k == id) {
                return values[i];
            }
            if (k == 0) {
                return -1;
            }
            i = (i + 1) & mask;
        }
    }

    /** Maps {@code id} (nonzero) to {@code frame}, replacing any earlier mapping. */
    void put(long id, int frame) {
        if (id == 0) {
            throw new IllegalArgumentException("page id 0 is the null page and cannot be mapped");
        }
        if ((size + 1) * 2 > keys.length) {
            grow();
        }
        int i = home(id);
        while (keys[i] != 0 && keys[i] != id) {
            i = (i + 1) & mask;
        }
        if (keys[i] == 0) {
            size++;
        }
        keys[i] = id;
        values[i] = frame;
    }

    /** Removes the mapping of {@code id}, if any. */
    void remove(long id) {
        int i = home(id);
        while (keys[i] != id) {
            if (keys[i] == 0) {
                return;
            }
            i = (i + 1) & mask;
        }
        size--;
        int hole = i;
        for (int j = (hole + 1) & mask; keys[j] != 0; j = (j + 1) & mask) {
            // an entry may move back into the hole when the hole lies between its home and where it is
            if (((j - home(keys[j])) & mask) >= ((j - hole) & mask)) {
                keys[hole] = keys[j];
                values[hole] = values[j];
                hole = j;
            }
        }
        keys[hole] = 0;
    }

    private int home(long id) {
        return (int) ((id * GOLDEN) >>> shift);
    }

    private void grow() {
        long[] oldKeys = keys;
        int[] oldValues = values;
        allocate(keys.length * 2);
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != 0) {
                put(oldKeys[i], oldValues[i]);
            }
        }
    }

    private void allocate(int capacity) {
        keys = new long[capacity];
        values = new int[capacity];
        Arrays.fill(values, -1);
        mask = capacity - 1;
        shift = 64 - Integer.numberOfTrailingZeros(capacity);
    }
}
