package dev.hashdir.engine.values;

import dev.hashdir.engine.page.PageSpace;
import dev.hashdir.engine.store.PageKind;
import dev.hashdir.engine.store.PageLayout;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * Builds a value list bottom-up from sorted values: full leaves, then full index levels over them,
 * until one page is left, which is the root. Only the last page of each level (the rightmost
 * spine) may be less than full. Allocates two arrays of one long per leaf: not a hot path.
 *
 * <p>Threading: engine thread only. Not thread-safe.
 */
final class ValueListBuilder {

    private final PageSpace pages;
    private final ValueListGeometry geometry;

    ValueListBuilder(PageSpace pages, ValueListGeometry geometry) {
        this.pages = pages;
        this.geometry = geometry;
    }

    long build(long[] values, int from, int to) {
        Objects.checkFromToIndex(from, to, values.length);
        requireAscending(values, from, to);
        int n = to - from;
        if (n <= geometry.leafCapacity) {
            MemorySegment root = fillLeaf(values, from, n);
            ValueListLayout.setTotal(root, n);
            return PageLayout.pageId(root);
        }
        int leaves = Math.ceilDiv(n, geometry.leafCapacity);
        long[] ids = new long[leaves];
        long[] keys = new long[leaves];
        for (int i = 0; i < leaves; i++) {
            int start = from + i * geometry.leafCapacity;
            ids[i] = PageLayout.pageId(fillLeaf(values, start, Math.min(geometry.leafCapacity, to - start)));
            keys[i] = values[start];
        }
        int width = leaves;
        while (width > 1) {
            width = buildLevel(ids, keys, width);
        }
        ValueListLayout.setTotal(pages.modify(ids[0]), n);
        return ids[0];
    }

    private MemorySegment fillLeaf(long[] values, int from, int n) {
        MemorySegment leaf = pages.allocateAndGet(PageKind.VALUE_LEAF);
        ValueListLayout.copyValues(values, from, leaf, 0, n);
        ValueListLayout.setCount(leaf, n);
        return leaf;
    }

    /** Groups the {@code width} pages (ids, lowest keys) under new index pages, in place; returns how many. */
    private int buildLevel(long[] ids, long[] keys, int width) {
        int parents = Math.ceilDiv(width, geometry.indexCapacity);
        for (int p = 0; p < parents; p++) {
            int first = p * geometry.indexCapacity;
            int n = Math.min(geometry.indexCapacity, width - first);
            MemorySegment index = pages.allocateAndGet(PageKind.VALUE_INDEX);
            for (int i = 0; i < n; i++) {
                ValueListLayout.setKey(index, i, i == 0 ? 0 : keys[first + i]);
                ValueListLayout.setChild(index, i, ids[first + i]);
            }
            ValueListLayout.setCount(index, n);
            ids[p] = PageLayout.pageId(index);
            keys[p] = keys[first];
        }
        return parents;
    }

    private static void requireAscending(long[] values, int from, int to) {
        for (int i = from + 1; i < to; i++) {
            if (Long.compareUnsigned(values[i - 1], values[i]) >= 0) {
                throw new IllegalArgumentException("values not strictly ascending (unsigned): index=" + i
                        + ", previous=" + Long.toUnsignedString(values[i - 1])
                        + ", value=" + Long.toUnsignedString(values[i]));
            }
        }
    }
}
