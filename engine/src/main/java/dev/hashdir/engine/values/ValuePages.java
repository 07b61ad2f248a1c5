package dev.hashdir.engine.values;

import java.lang.foreign.MemorySegment;

import static dev.hashdir.engine.values.ValueListLayout.copyEntries;
import static dev.hashdir.engine.values.ValueListLayout.count;
import static dev.hashdir.engine.values.ValueListLayout.key;
import static dev.hashdir.engine.values.ValueListLayout.setChild;
import static dev.hashdir.engine.values.ValueListLayout.setCount;
import static dev.hashdir.engine.values.ValueListLayout.setKey;
import static dev.hashdir.engine.values.ValueListLayout.setValue;
import static dev.hashdir.engine.values.ValueListLayout.value;

/**
 * Searches and edits inside one value list page. Values and keys compare unsigned: each is
 * flipped ({@code ^ Long.MIN_VALUE}) so that a signed comparison orders them.
 */
final class ValuePages {

    private ValuePages() {
    }

    /** Index of {@code v} in the leaf, or {@code -(insertion point) - 1} when absent. */
    static int find(MemorySegment leaf, long v) {
        long target = v ^ Long.MIN_VALUE;
        int lo = 0;
        int hi = count(leaf) - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            long m = value(leaf, mid) ^ Long.MIN_VALUE;
            if (m < target) {
                lo = mid + 1;
            } else if (m > target) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        return -lo - 1;
    }

    /** Index of the first value in the leaf greater than {@code v} (unsigned); count when none. */
    static int firstAbove(MemorySegment leaf, long v) {
        int at = find(leaf, v);
        return at >= 0 ? at + 1 : -at - 1;
    }

    /** The child of an index page whose range holds {@code v}: the last i with key i &lt;= v, or 0. */
    static int childSlot(MemorySegment index, long v) {
        long target = v ^ Long.MIN_VALUE;
        int lo = 1;
        int hi = count(index);
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if ((key(index, mid) ^ Long.MIN_VALUE) <= target) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo - 1;
    }

    static void insertValue(MemorySegment leaf, int at, long v) {
        int n = count(leaf);
        copyEntries(true, leaf, at, leaf, at + 1, n - at);
        setValue(leaf, at, v);
        setCount(leaf, n + 1);
    }

    static void deleteValue(MemorySegment leaf, int at) {
        int n = count(leaf);
        copyEntries(true, leaf, at + 1, leaf, at, n - at - 1);
        setCount(leaf, n - 1);
    }

    static void insertEntry(MemorySegment index, int at, long key, long child) {
        int n = count(index);
        copyEntries(false, index, at, index, at + 1, n - at);
        setKey(index, at, key);
        setChild(index, at, child);
        setCount(index, n + 1);
    }

    /** Deletes entry {@code at}; key 0 stays 0 when the first entry goes. */
    static void deleteEntry(MemorySegment index, int at) {
        int n = count(index);
        copyEntries(false, index, at + 1, index, at, n - at - 1);
        setCount(index, n - 1);
        setKey(index, 0, 0);
    }

    /** Inserts into a leaf (leaf true) or an index page: a value, or an entry (key, child). */
    static void insert(boolean leaf, MemorySegment page, int at, long keyOrValue, long child) {
        if (leaf) {
            insertValue(page, at, keyOrValue);
        } else {
            insertEntry(page, at, keyOrValue, child);
        }
    }

    /** The first key of a page: value 0 of a leaf, key 0 of an index page (before it is zeroed). */
    static long firstKey(boolean leaf, MemorySegment page) {
        return leaf ? value(page, 0) : key(page, 0);
    }

    /** Copies count and entries (not total) of {@code src} over {@code dst}. */
    static void copyBody(boolean leaf, MemorySegment src, MemorySegment dst) {
        int n = count(src);
        copyEntries(leaf, src, 0, dst, 0, n);
        setCount(dst, n);
    }
}
