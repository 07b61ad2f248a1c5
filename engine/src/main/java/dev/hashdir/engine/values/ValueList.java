package dev.hashdir.engine.values;

import dev.hashdir.engine.CorruptionException;
import dev.hashdir.engine.page.PageSpace;
import dev.hashdir.engine.store.PageLayout;

import java.lang.foreign.MemorySegment;

/**
 * The set of unsigned 64-bit values of one key, when too many to keep inline in the key's bucket
 * slot: a B+-tree of pages ({@link ValueListLayout}) named by the id of its root page, which never
 * changes for the life of the list. Values order unsigned ({@link Long#compareUnsigned}); the full
 * range 0..2^64-1 is valid.
 *
 * <p>Costs: {@link #add}, {@link #remove} and {@link #contains} touch O(log n) pages (at most
 * about 4 per level); {@link #count} one; {@link #read} O(log n + limit / leaf fill);
 * {@link #destroy} reads only index pages (about one page in 250 at 4 KiB) and frees the rest
 * unread; {@link #check} reads every page. Every page touched stays resident until the caller
 * ends the operation: this class never calls {@link PageSpace#endOperation()}.
 *
 * <p>Fill: see {@link ValueListGeometry}: off the rightmost spine, every page is at least a
 * quarter full; appending ascending values leaves full leaves; {@link #create} builds full pages.
 *
 * <p>Hot paths ({@code add}, {@code remove}, {@code contains}, {@code count}, {@code read})
 * allocate nothing: they reuse one {@link ValuePath}.
 *
 * <p>Threading: engine thread only; one instance per {@link PageSpace}, used for every list in it.
 * Not thread-safe.
 */
public final class ValueList {

    private final PageSpace pages;
    private final ValuePath path;
    private final ValueListSplitter splitter;
    private final ValueListRebalancer rebalancer;
    private final ValueListBuilder builder;
    private final ValueListChecker checker;

    /** Value lists in {@code pages}; throws IllegalArgumentException when its pages are too small. */
    public ValueList(PageSpace pages) {
        ValueListGeometry geometry = new ValueListGeometry(pages.pageSize());
        this.pages = pages;
        this.path = new ValuePath(pages, geometry);
        this.splitter = new ValueListSplitter(pages, geometry);
        this.rebalancer = new ValueListRebalancer(pages, geometry);
        this.builder = new ValueListBuilder(pages, geometry);
        this.checker = new ValueListChecker(pages, geometry);
    }

    /**
     * New list holding values[from..to), which are sorted ascending (unsigned) and unique. Returns its
     * root page id. An empty range is allowed (a root leaf holding nothing). Throws
     * IllegalArgumentException, before allocating anything, when the values are not strictly ascending.
     */
    public long create(long[] values, int from, int to) {
        return builder.build(values, from, to);
    }

    /** Adds value; true if it was not present. The root id never changes. */
    public boolean add(long root, long value) {
        MemorySegment leaf = path.descend(root, value);
        int at = ValuePages.find(leaf, value);
        if (at >= 0) {
            return false;
        }
        splitter.insertValue(path, -at - 1, value);
        addToTotal(root, 1);
        return true;
    }

    /** Removes value; true if it was present. The root id never changes; an emptied list keeps its root. */
    public boolean remove(long root, long value) {
        MemorySegment leaf = path.descend(root, value);
        int at = ValuePages.find(leaf, value);
        if (at < 0) {
            return false;
        }
        ValuePages.deleteValue(pages.modify(path.ids[path.leaf]), at);
        addToTotal(root, -1);
        rebalancer.afterRemove(path);
        return true;
    }

    public boolean contains(long root, long value) {
        return ValuePages.find(path.descend(root, value), value) >= 0;
    }

    /** Number of values, O(1): kept in the root page. */
    public long count(long root) {
        return ValueListLayout.total(path.readChecked(root, 0));
    }

    /**
     * Writes into out[0..] up to limit values strictly greater (unsigned) than after when hasAfter,
     * else from the smallest; ascending; returns how many were written (fewer than limit only at the
     * end of the list). Pass the last value returned as {@code after} to read the next page.
     */
    public int read(long root, boolean hasAfter, long after, int limit, long[] out) {
        if (limit < 0 || limit > out.length) {
            throw new IllegalArgumentException("bad read limit: limit=" + limit + ", out.length=" + out.length);
        }
        if (limit == 0) {
            return 0;
        }
        MemorySegment leaf = hasAfter ? path.descend(root, after) : path.descendFirst(root);
        int at = hasAfter ? ValuePages.firstAbove(leaf, after) : 0;
        int written = 0;
        while (leaf != null) {
            int take = Math.min(ValueListLayout.count(leaf) - at, limit - written);
            ValueListLayout.copyValues(leaf, at, out, written, take);
            written += take;
            if (written == limit) {
                break;
            }
            leaf = path.nextLeaf();
            at = 0;
        }
        return written;
    }

    /** Frees every page of the list; the root id is invalid afterwards. */
    public void destroy(long root) {
        destroy(root, path.height(root) - 1);
    }

    /**
     * Structural check for tests and the offline checker: order, separators, counts, fill, page
     * kinds; throws {@link CorruptionException} saying which page and what.
     * Returns the number of pages.
     */
    public long check(long root) {
        return checker.check(root);
    }

    /** Number of levels, 1 for a root leaf (for tests). */
    int height(long root) {
        return path.height(root);
    }

    private void addToTotal(long root, long delta) {
        MemorySegment page = pages.modify(root);
        ValueListLayout.setTotal(page, ValueListLayout.total(page) + delta);
    }

    /** Frees the subtree of {@code id}, whose leaves are {@code levelsBelow} levels down, leaves unread. */
    private void destroy(long id, int levelsBelow) {
        if (levelsBelow > 0) {
            MemorySegment index = path.readChecked(id, 0);
            if (!ValueListLayout.isIndex(index)) {
                throw new CorruptionException(id, PageLayout.KIND_OFFSET, "value list page kind",
                        "VALUE_INDEX (" + levelsBelow + " levels above the leaves)", ValuePath.kindName(index));
            }
            int n = ValueListLayout.count(index);
            for (int i = 0; i < n; i++) {
                destroy(ValueListLayout.child(index, i), levelsBelow - 1);
            }
        }
        pages.free(id);
    }
}
