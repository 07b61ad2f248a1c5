package dev.hashdir.engine;

import java.util.Arrays;

/**
 * Sets of unsigned 64-bit values as the first {@code n} elements of a {@code long[]}, ascending
 * unsigned: what an inline bucket record holds. Allocation-free.
 */
final class SortedValues {

    private SortedValues() {
    }

    /** Index of {@code v}, or {@code -(insertion point) - 1}. */
    static int search(long[] a, int n, long v) {
        int lo = 0;
        int hi = n - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = Long.compareUnsigned(a[mid], v);
            if (c < 0) {
                lo = mid + 1;
            } else if (c > 0) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        return -lo - 1;
    }

    /** Index of the first value strictly above {@code v} (n if none). */
    static int firstAbove(long[] a, int n, long v) {
        int at = search(a, n, v);
        return at >= 0 ? at + 1 : -at - 1;
    }

    /** Inserts {@code v} at {@code at}; returns the new size. */
    static int insert(long[] a, int n, int at, long v) {
        System.arraycopy(a, at, a, at + 1, n - at);
        a[at] = v;
        return n + 1;
    }

    /** Removes the value at {@code at}; returns the new size. */
    static int removeAt(long[] a, int n, int at) {
        System.arraycopy(a, at + 1, a, at, n - at - 1);
        return n - 1;
    }

    /** Sorts {@code a[0, n)} ascending unsigned and drops duplicates; returns the new size. */
    static int sortUnique(long[] a, int n) {
        for (int i = 0; i < n; i++) {
            a[i] ^= Long.MIN_VALUE;
        }
        Arrays.sort(a, 0, n);
        int m = 0;
        for (int i = 0; i < n; i++) {
            if (m == 0 || a[m - 1] != a[i]) {
                a[m++] = a[i];
            }
        }
        for (int i = 0; i < m; i++) {
            a[i] ^= Long.MIN_VALUE;
        }
        return m;
    }

    /** Union of two sorted sets into {@code out} (room for n + m); returns its size. */
    static int union(long[] a, int n, long[] b, int m, long[] out) {
        int i = 0;
        int j = 0;
        int k = 0;
        while (i < n && j < m) {
            int c = Long.compareUnsigned(a[i], b[j]);
            out[k++] = c <= 0 ? a[i] : b[j];
            i += c <= 0 ? 1 : 0;
            j += c >= 0 ? 1 : 0;
        }
        while (i < n) {
            out[k++] = a[i++];
        }
        while (j < m) {
            out[k++] = b[j++];
        }
        return k;
    }
}
