package dev.hashdir.engine.values;

import dev.hashdir.engine.page.PageSpace;
import dev.hashdir.engine.store.PageKind;
import dev.hashdir.engine.store.PageLayout;

import java.lang.foreign.MemorySegment;

import static dev.hashdir.engine.values.ValueListLayout.count;

/**
 * The insert side of a value list: puts a value into the leaf of a {@link ValuePath}, splitting
 * full pages bottom-up. A split moves the upper half into a new right sibling, except at the end of
 * the rightmost spine, where the new page gets only the new entry, so that appending ascending
 * values leaves full pages behind. A full root splits without changing its id: its content moves
 * down into a new child first ({@link #pushDownRoot}). Touches at most 3 pages per level.
 *
 * <p>Threading: engine thread only. Not thread-safe.
 */
final class ValueListSplitter {

    private final PageSpace pages;
    private final ValueListGeometry geometry;

    ValueListSplitter(PageSpace pages, ValueListGeometry geometry) {
        this.pages = pages;
        this.geometry = geometry;
    }

    /** Inserts {@code value} at index {@code at} of the path's leaf. */
    void insertValue(ValuePath path, int at, long value) {
        int d = path.leaf;
        long key = value;
        long child = 0;
        while (true) {
            boolean leaf = d == path.leaf;
            MemorySegment page = pages.modify(path.ids[d]);
            int n = count(page);
            if (n < geometry.capacity(leaf)) {
                ValuePages.insert(leaf, page, at, key, child);
                return;
            }
            if (d == 0) {
                pushDownRoot(path, page, leaf);
                d = 1;
                page = pages.modify(path.ids[d]);
            }
            MemorySegment right = split(leaf, page, at, key, child, path.rightmost[d] && at == n);
            key = ValuePages.firstKey(leaf, right);
            if (!leaf) {
                ValueListLayout.setKey(right, 0, 0); // the key moved up into the parent
            }
            child = PageLayout.pageId(right);
            d--;
            at = path.slots[d] + 1;
        }
    }

    /** Moves the root's entries into a new child, which becomes the root's only child. */
    private void pushDownRoot(ValuePath path, MemorySegment root, boolean leaf) {
        MemorySegment child = pages.allocateAndGet(leaf ? PageKind.VALUE_LEAF : PageKind.VALUE_INDEX);
        ValuePages.copyBody(leaf, root, child);
        long childId = PageLayout.pageId(child);
        ValueListLayout.setKind(root, PageKind.VALUE_INDEX);
        ValueListLayout.setCount(root, 1);
        ValueListLayout.setKey(root, 0, 0);
        ValueListLayout.setChild(root, 0, childId);
        path.pushDownRoot(childId);
    }

    /**
     * Splits a full page and inserts (key, child) into the half it belongs to; returns the new
     * right page, whose first key is the separator.
     */
    private MemorySegment split(boolean leaf, MemorySegment page, int at, long key, long child, boolean append) {
        int n = count(page);
        int mid = append ? n : n / 2;
        MemorySegment right = pages.allocateAndGet(leaf ? PageKind.VALUE_LEAF : PageKind.VALUE_INDEX);
        ValueListLayout.copyEntries(leaf, page, mid, right, 0, n - mid);
        ValueListLayout.setCount(right, n - mid);
        ValueListLayout.setCount(page, mid);
        if (!append && at <= mid) {
            ValuePages.insert(leaf, page, at, key, child);
        } else {
            ValuePages.insert(leaf, right, at - mid, key, child);
        }
        return right;
    }
}
