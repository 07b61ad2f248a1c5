package dev.hashdir.engine.values;

import dev.hashdir.engine.page.PageSpace;
import dev.hashdir.engine.store.PageKind;

import java.lang.foreign.MemorySegment;

import static dev.hashdir.engine.values.ValueListLayout.child;
import static dev.hashdir.engine.values.ValueListLayout.copyEntries;
import static dev.hashdir.engine.values.ValueListLayout.count;
import static dev.hashdir.engine.values.ValueListLayout.key;
import static dev.hashdir.engine.values.ValueListLayout.setCount;
import static dev.hashdir.engine.values.ValueListLayout.setKey;

/**
 * The remove side of a value list: after a value left the leaf of a {@link ValuePath}, restores
 * the fill guarantee of {@link ValueListGeometry} bottom-up. An empty page is freed; a page below
 * its minimum fill (off the rightmost spine) merges with a sibling or borrows from it; a root left
 * with one child takes that child's content (keeping its id). Touches at most 4 pages per level.
 *
 * <p>Threading: engine thread only. Not thread-safe.
 */
final class ValueListRebalancer {

    private final PageSpace pages;
    private final ValueListGeometry geometry;

    ValueListRebalancer(PageSpace pages, ValueListGeometry geometry) {
        this.pages = pages;
        this.geometry = geometry;
    }

    /** Call after removing a value from the path's leaf. */
    void afterRemove(ValuePath path) {
        for (int d = path.leaf; d > 0; d--) {
            boolean leaf = d == path.leaf;
            int n = count(pages.read(path.ids[d]));
            if (n == 0) {
                pages.free(path.ids[d]);
                ValuePages.deleteEntry(pages.modify(path.ids[d - 1]), path.slots[d - 1]);
            } else if (n >= geometry.minFill(leaf) || path.rightmost[d] || !mergeOrBorrow(path, d, leaf)) {
                break; // the parent kept its count
            }
        }
        collapseRoot(path.ids[0]);
    }

    /** Evens out an underfull page with a sibling; true when they merged (the parent lost an entry). */
    private boolean mergeOrBorrow(ValuePath path, int d, boolean leaf) {
        MemorySegment parent = pages.modify(path.ids[d - 1]);
        int slot = path.slots[d - 1];
        int leftSlot = slot + 1 < count(parent) ? slot : slot - 1;
        if (leftSlot < 0) {
            return false; // unreachable: off the rightmost spine, every parent has two children or more
        }
        MemorySegment left = pages.modify(child(parent, leftSlot));
        MemorySegment right = pages.modify(child(parent, leftSlot + 1));
        if (count(left) + count(right) <= geometry.mergeMax(leaf)) {
            merge(leaf, parent, leftSlot + 1, left, right);
            return true;
        }
        borrow(leaf, parent, leftSlot + 1, left, right);
        return false;
    }

    /** Moves all of {@code right} (entry {@code r} of the parent) to the end of {@code left}. */
    private void merge(boolean leaf, MemorySegment parent, int r, MemorySegment left, MemorySegment right) {
        int ln = count(left);
        int rn = count(right);
        copyEntries(leaf, right, 0, left, ln, rn);
        if (!leaf) {
            setKey(left, ln, key(parent, r)); // the separator comes down as the key of right's first child
        }
        setCount(left, ln + rn);
        pages.free(child(parent, r));
        ValuePages.deleteEntry(parent, r);
    }

    /** Moves entries across the separator (entry {@code r} of the parent) until both hold half. */
    private void borrow(boolean leaf, MemorySegment parent, int r, MemorySegment left, MemorySegment right) {
        int ln = count(left);
        int rn = count(right);
        int target = (ln + rn) / 2;
        if (!leaf) {
            setKey(right, 0, key(parent, r)); // right's first key is the separator while entries move
        }
        if (ln < target) {
            int k = target - ln;
            copyEntries(leaf, right, 0, left, ln, k);
            copyEntries(leaf, right, k, right, 0, rn - k);
            setCount(left, ln + k);
            setCount(right, rn - k);
        } else {
            int k = ln - target;
            copyEntries(leaf, right, 0, right, k, rn);
            copyEntries(leaf, left, ln - k, right, 0, k);
            setCount(left, ln - k);
            setCount(right, rn + k);
        }
        setKey(parent, r, ValuePages.firstKey(leaf, right));
        if (!leaf) {
            setKey(right, 0, 0);
        }
    }

    /** While the root is an index page with one child, the child's content moves up into the root. */
    private void collapseRoot(long rootId) {
        MemorySegment root = pages.read(rootId);
        while (ValueListLayout.isIndex(root) && count(root) < 2) {
            root = pages.modify(rootId);
            if (count(root) == 0) {
                ValueListLayout.setKind(root, PageKind.VALUE_LEAF);
                return;
            }
            long childId = child(root, 0);
            MemorySegment only = pages.read(childId);
            boolean leaf = ValueListLayout.isLeaf(only);
            ValueListLayout.setKind(root, leaf ? PageKind.VALUE_LEAF : PageKind.VALUE_INDEX);
            ValuePages.copyBody(leaf, only, root);
            pages.free(childId);
        }
    }
}
