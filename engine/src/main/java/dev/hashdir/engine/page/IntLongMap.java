package dev.hashdir.engine.page;

import java.util.Arrays;

/**
 * A map from non-negative {@code int} keys to {@code long} values with no object per entry (open
 * addressing, linear probing, at most half full): the page map's record of the rows a running
 * checkpoint still needs, which the first change of each page during the checkpoint adds to on a
 * request's path. Entries are never removed one by one; {@link #clear} empties the map.
 *
 * <p>Threading: one thread's.
 */
final class IntLongMap {

    private static final int EMPTY = -1;

    private int[] keys;
    private long[] values;
    private int size;

    /** A map with room for {@code expected} entries before it grows. */
    IntLongMap(int expected) {
        int capacity = Integer.highestOneBit(Math.max(16, expected) * 2 - 1) * 2;
        keys = new int[capacity];
        values = new long[capacity];
        Arrays.fill(keys, EMPTY);
    }

    /** Maps {@code key} to {@code value} unless it is mapped already; true when it was added. */
    boolean putIfAbsent(int key, long value) {
        if (key < 0) {
            throw new IllegalArgumentException("keys are non-negative: key=" + key);
        }
        int mask = keys.length - 1;
        int i = slot(key, mask);
        while (keys[i] != EMPTY) {
            if (keys[i] == key) {
                return false;
            }
            i = (i + 1) & mask;
        }
        keys[i] = key;
        values[i] = value;
        if (++size * 2 > keys.length) {
            grow();
        }
        return true;
    }

    /** The value of {@code key}, or {@code missing} when it has none. */
    long get(int key, long missing) {
        if (size == 0) {
            return missing;
        }
        int mask = keys.length - 1;
        int i = slot(key, mask);
        int k;
        while ((k = keys[i]) != EMPTY) {
            if (k == key) {
                return values[i];
            }
            i = (i + 1) & mask;
        }
        return missing;
    }

    int size() {
        return size;
    }

    /** Removes every entry (keeps the room it grew to). */
    void clear() {
        if (size > 0) {
            Arrays.fill(keys, EMPTY);
            size = 0;
        }
    }

    private void grow() {
        int[] oldKeys = keys;
        long[] oldValues = values;
        keys = new int[oldKeys.length * 2];
        values = new long[oldKeys.length * 2];
        Arrays.fill(keys, EMPTY);
        int mask = keys.length - 1;
        for (int j = 0; j < oldKeys.length; j++) {
            int key = oldKeys[j];
            if (key != EMPTY) {
                int i = slot(key, mask);
                while (keys[i] != EMPTY) {
                    i = (i + 1) & mask;
                }
                keys[i] = key;
                values[i] = oldValues[j];
            }
        }
    }

    private static int slot(int key, int mask) {
        int h = key * 0x9E3779B9;
        return (h ^ (h >>> 16)) & mask;
    }
}
