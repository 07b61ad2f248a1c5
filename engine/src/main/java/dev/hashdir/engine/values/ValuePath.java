package dev.hashdir.engine.values;

import dev.hashdir.engine.CorruptionException;
import dev.hashdir.engine.StoreException;
import dev.hashdir.engine.page.PageSpace;
import dev.hashdir.engine.store.PageLayout;

import java.lang.foreign.MemorySegment;

/**
 * The pages from a value list's root down to one leaf, as the last descent found them: ids, the
 * slot taken in each index page, its count then, and whether each page is on the rightmost spine.
 * One instance per {@link ValueList}, reused by every operation; it holds ids, never segments, so
 * it stays valid however the page space moves pages between operations (until the tree changes).
 * Every page it reads is checked for kind and count, so a descent never reads past a page.
 *
 * <p>Threading: engine thread only. Not thread-safe.
 */
final class ValuePath {

    /** Deeper than this is a cycle: at 4 KiB, 32 levels would hold far more than 2^64 values. */
    static final int MAX_HEIGHT = 32;

    private final PageSpace pages;
    private final ValueListGeometry geometry;
    /** Page id at each depth; ids[0] is the root, ids[leaf] the leaf. */
    final long[] ids = new long[MAX_HEIGHT];
    /** Slot of ids[d + 1] in index page ids[d]. */
    final int[] slots = new int[MAX_HEIGHT];
    /** Count of ids[d] when it was read. */
    final int[] counts = new int[MAX_HEIGHT];
    /** Whether ids[d] is the last child at every level above it. */
    final boolean[] rightmost = new boolean[MAX_HEIGHT];
    /** Depth of the leaf. */
    int leaf;

    ValuePath(PageSpace pages, ValueListGeometry geometry) {
        this.pages = pages;
        this.geometry = geometry;
    }

    /** Descends to the leaf whose range holds {@code value}; returns it (read). */
    MemorySegment descend(long root, long value) {
        return descendFrom(0, root, true, false, value);
    }

    /** Descends to the leftmost leaf; returns it (read). */
    MemorySegment descendFirst(long root) {
        return descendFrom(0, root, true, true, 0);
    }

    /** Moves to the next leaf to the right and returns it (read), or null after the last leaf. */
    MemorySegment nextLeaf() {
        for (int d = leaf - 1; d >= 0; d--) {
            if (slots[d] + 1 < counts[d]) {
                slots[d]++;
                long child = ValueListLayout.child(pages.read(ids[d]), slots[d]);
                return descendFrom(d + 1, child, false, true, 0);
            }
        }
        return null;
    }

    /** Number of levels: 1 for a root leaf. */
    int height(long root) {
        descendFirst(root);
        return leaf + 1;
    }

    /** The root becomes the only child of itself: shifts the path one level down under the root. */
    void pushDownRoot(long newChild) {
        if (leaf + 1 >= MAX_HEIGHT) {
            throw new StoreException("value list too high: root=" + ids[0] + ", height=" + (leaf + 1));
        }
        System.arraycopy(ids, 0, ids, 1, leaf + 1);
        System.arraycopy(slots, 0, slots, 1, leaf + 1);
        System.arraycopy(counts, 0, counts, 1, leaf + 1);
        System.arraycopy(rightmost, 0, rightmost, 1, leaf + 1);
        ids[1] = newChild;
        slots[0] = 0;
        counts[0] = 1;
        rightmost[0] = true;
        leaf++;
    }

    /** Reads a page of the list at {@code depth} and checks its kind and count. */
    MemorySegment readChecked(long id, int depth) {
        if (depth >= MAX_HEIGHT) {
            throw new CorruptionException(id, 0, "value list depth", "< " + MAX_HEIGHT, Integer.toString(depth));
        }
        MemorySegment page = pages.read(id);
        boolean isLeaf = ValueListLayout.isLeaf(page);
        if (!isLeaf && !ValueListLayout.isIndex(page)) {
            throw new CorruptionException(id, PageLayout.KIND_OFFSET, "value list page kind",
                    "VALUE_LEAF or VALUE_INDEX", kindName(page));
        }
        int count = ValueListLayout.count(page);
        int min = isLeaf ? 0 : 1;
        if (count < min || count > geometry.capacity(isLeaf)) {
            throw new CorruptionException(id, ValueListLayout.COUNT_OFFSET, "value list page count",
                    min + ".." + geometry.capacity(isLeaf), Integer.toString(count));
        }
        return page;
    }

    /** The kind of a page for a message: name and code. */
    static String kindName(MemorySegment page) {
        return PageLayout.kind(page) + "(" + PageLayout.kindCode(page) + ")";
    }

    private MemorySegment descendFrom(int depth, long id, boolean right, boolean leftmost, long value) {
        for (int d = depth; ; d++) {
            MemorySegment page = readChecked(id, d);
            int n = ValueListLayout.count(page);
            ids[d] = id;
            counts[d] = n;
            rightmost[d] = right;
            if (ValueListLayout.isLeaf(page)) {
                leaf = d;
                return page;
            }
            int slot = leftmost ? 0 : ValuePages.childSlot(page, value);
            slots[d] = slot;
            right &= slot == n - 1;
            id = ValueListLayout.child(page, slot);
        }
    }
}
