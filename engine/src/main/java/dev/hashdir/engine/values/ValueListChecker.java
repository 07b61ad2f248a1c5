package dev.hashdir.engine.values;

import dev.hashdir.engine.CorruptionException;
import dev.hashdir.engine.page.PageSpace;
import dev.hashdir.engine.store.PageLayout;

import java.lang.foreign.MemorySegment;

import static dev.hashdir.engine.values.ValueListLayout.count;

/**
 * Walks a whole value list and verifies its structure: page ids and kinds, counts within capacity
 * and the fill guarantee of {@link ValueListGeometry}, values strictly ascending (unsigned) and
 * inside the range their parents' keys give them, index key 0 zero, all leaves at one depth, the
 * root's total equal to the values found, 0 in the other pages. A page shared by two parents
 * lies outside one parent's range and is caught there. Reads every page in one operation.
 *
 * <p>Threading: engine thread only. Not thread-safe.
 */
final class ValueListChecker {

    private final PageSpace pages;
    private final ValueListGeometry geometry;
    private final ValuePath reader;
    private long rootId;
    private long pagesSeen;
    private long valuesSeen;
    private int leafDepth;

    ValueListChecker(PageSpace pages, ValueListGeometry geometry) {
        this.pages = pages;
        this.geometry = geometry;
        this.reader = new ValuePath(pages, geometry);
    }

    /** Checks the list under {@code root}; returns its number of pages. */
    long check(long root) {
        rootId = root;
        pagesSeen = 0;
        valuesSeen = 0;
        leafDepth = -1;
        checkPage(root, 0, true, new Range());
        long total = ValueListLayout.total(pages.read(root));
        if (total != valuesSeen) {
            throw corrupt(root, ValueListLayout.TOTAL_OFFSET, "value list total", valuesSeen, total);
        }
        return pagesSeen;
    }

    /** Bounds on the values under a page: [lo, hi), unsigned; either end may be open. */
    private static final class Range {
        boolean hasLo;
        long lo;
        boolean hasHi;
        long hi;

        boolean holds(long v) {
            return (!hasLo || Long.compareUnsigned(v, lo) >= 0) && (!hasHi || Long.compareUnsigned(v, hi) < 0);
        }

        @Override
        public String toString() {
            return "[" + (hasLo ? Long.toUnsignedString(lo) : "0") + ", "
                    + (hasHi ? Long.toUnsignedString(hi) : "2^64") + ")";
        }
    }

    private void checkPage(long id, int depth, boolean rightmost, Range range) {
        MemorySegment page = reader.readChecked(id, depth);
        pagesSeen++;
        checkHeader(id, page, depth, rightmost);
        if (ValueListLayout.isLeaf(page)) {
            checkLeaf(id, page, depth, range);
        } else {
            checkIndex(id, page, depth, rightmost, range);
        }
    }

    private void checkHeader(long id, MemorySegment page, int depth, boolean rightmost) {
        if (PageLayout.pageId(page) != id) {
            throw corrupt(id, PageLayout.PAGE_ID_OFFSET, "page id", id, PageLayout.pageId(page));
        }
        if (ValueListLayout.reserved(page) != 0) {
            throw corrupt(id, ValueListLayout.RESERVED_OFFSET, "value list reserved field", 0, ValueListLayout.reserved(page));
        }
        if (depth > 0 && ValueListLayout.total(page) != 0) {
            throw corrupt(id, ValueListLayout.TOTAL_OFFSET, "value list total outside the root", 0, ValueListLayout.total(page));
        }
        boolean leaf = ValueListLayout.isLeaf(page);
        int min = depth == 0 ? (leaf ? 0 : 2) : rightmost ? 1 : geometry.minFill(leaf);
        if (count(page) < min) {
            throw corrupt(id, ValueListLayout.COUNT_OFFSET, "value list page fill",
                    ">= " + min + " (depth=" + depth + ", rightmost=" + rightmost + ")", Integer.toString(count(page)));
        }
    }

    private void checkLeaf(long id, MemorySegment leaf, int depth, Range range) {
        if (leafDepth < 0) {
            leafDepth = depth;
        } else if (depth != leafDepth) {
            throw corrupt(id, PageLayout.KIND_OFFSET, "value list leaf depth", leafDepth, depth);
        }
        int n = count(leaf);
        for (int i = 0; i < n; i++) {
            long v = ValueListLayout.value(leaf, i);
            if (i > 0 && Long.compareUnsigned(ValueListLayout.value(leaf, i - 1), v) >= 0) {
                throw corrupt(id, ValueListLayout.valueOffset(i), "value list order",
                        "> " + Long.toUnsignedString(ValueListLayout.value(leaf, i - 1)), Long.toUnsignedString(v));
            }
            if (!range.holds(v)) {
                throw corrupt(id, ValueListLayout.valueOffset(i), "value list value range",
                        range.toString(), Long.toUnsignedString(v));
            }
        }
        valuesSeen += n;
    }

    private void checkIndex(long id, MemorySegment index, int depth, boolean rightmost, Range range) {
        int n = count(index);
        if (ValueListLayout.key(index, 0) != 0) {
            throw corrupt(id, ValueListLayout.entryOffset(0), "value list key 0", 0, ValueListLayout.key(index, 0));
        }
        for (int i = 1; i < n; i++) {
            long k = ValueListLayout.key(index, i);
            boolean ascending = i == 1 || Long.compareUnsigned(ValueListLayout.key(index, i - 1), k) < 0;
            if (!ascending || !range.holds(k)) {
                throw corrupt(id, ValueListLayout.entryOffset(i), "value list separator",
                        "ascending, in " + range, Long.toUnsignedString(k));
            }
        }
        for (int i = 0; i < n; i++) {
            Range child = new Range();
            child.hasLo = i > 0 || range.hasLo;
            child.lo = i > 0 ? ValueListLayout.key(index, i) : range.lo;
            child.hasHi = i < n - 1 || range.hasHi;
            child.hi = i < n - 1 ? ValueListLayout.key(index, i + 1) : range.hi;
            checkPage(ValueListLayout.child(index, i), depth + 1, rightmost && i == n - 1, child);
        }
    }

    private CorruptionException corrupt(long page, long offset, String what, long expected, long actual) {
        return corrupt(page, offset, what, Long.toString(expected), Long.toString(actual));
    }

    private CorruptionException corrupt(long page, long offset, String what, String expected, String actual) {
        return new CorruptionException(page, offset, what + " (list root=" + rootId + ")", expected, actual);
    }
}
