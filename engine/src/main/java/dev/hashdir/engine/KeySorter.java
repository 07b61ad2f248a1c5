package dev.hashdir.engine;

import java.util.Arrays;

/**
 * Sorts fixed-length keys packed in a byte array into unsigned lexicographic order, by permuting
 * an index array (heapsort: O(n log n), no recursion, no allocation). Used by scans, which sort
 * each bucket's keys when they visit it.
 */
final class KeySorter {

    private KeySorter() {
    }

    /** Sorts {@code order[0, n)}, indexes of {@code keyBytes}-byte keys in {@code keys}. */
    static void sort(byte[] keys, int keyBytes, int[] order, int n) {
        for (int i = n / 2 - 1; i >= 0; i--) {
            siftDown(keys, keyBytes, order, i, n);
        }
        for (int end = n - 1; end > 0; end--) {
            int t = order[0];
            order[0] = order[end];
            order[end] = t;
            siftDown(keys, keyBytes, order, 0, end);
        }
    }

    /** Compares key {@code a} and key {@code b} of {@code keys}, unsigned. */
    static int compare(byte[] keys, int keyBytes, int a, int b) {
        return Arrays.compareUnsigned(keys, a * keyBytes, (a + 1) * keyBytes, keys, b * keyBytes, (b + 1) * keyBytes);
    }

    private static void siftDown(byte[] keys, int keyBytes, int[] order, int i, int n) {
        while (true) {
            int child = 2 * i + 1;
            if (child >= n) {
                return;
            }
            if (child + 1 < n && compare(keys, keyBytes, order[child + 1], order[child]) > 0) {
                child++;
            }
            if (compare(keys, keyBytes, order[child], order[i]) <= 0) {
                return;
            }
            int t = order[i];
            order[i] = order[child];
            order[child] = t;
            i = child;
        }
    }
}
