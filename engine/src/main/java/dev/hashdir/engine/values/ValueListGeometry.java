package dev.hashdir.engine.values;

/**
 * Capacities and fill thresholds of value list pages for one page size.
 *
 * <p>Fill guarantee (kept by {@link ValueListRebalancer}, verified by {@link ValueListChecker}):
 * a page that is neither the root nor on the rightmost spine (the last child at every level) holds
 * at least {@code minFill = max(2, capacity / 4)} entries; a rightmost-spine page holds at least
 * one; the root any number (an index root at least two children). A page that drops below
 * {@code minFill} merges with a sibling when both fit in {@code mergeMax = 3 * capacity / 4},
 * otherwise it borrows until both hold half: the gap between the two thresholds keeps a page on
 * the border from splitting and merging in turn. Both end at least {@code minFill}: a merge adds a
 * non-empty sibling to {@code minFill - 1} entries, a borrow leaves half of more than
 * {@code mergeMax >= 2 * minFill - 1}. The rightmost spine is exempt because appending
 * ascending values splits it at the end (full left page, nearly empty right page).
 */
final class ValueListGeometry {

    /** Below this page size an index page could not hold 4 children. */
    static final int MIN_PAGE_SIZE = ValueListLayout.ENTRIES_OFFSET + 4 * ValueListLayout.INDEX_ENTRY_BYTES;

    final int leafCapacity;
    final int indexCapacity;
    private final int leafMinFill;
    private final int indexMinFill;
    private final int leafMergeMax;
    private final int indexMergeMax;

    ValueListGeometry(int pageSize) {
        if (pageSize < MIN_PAGE_SIZE) {
            throw new IllegalArgumentException("page too small for a value list: pageSize=" + pageSize
                    + ", min=" + MIN_PAGE_SIZE);
        }
        leafCapacity = ValueListLayout.leafCapacity(pageSize);
        indexCapacity = ValueListLayout.indexCapacity(pageSize);
        leafMinFill = Math.max(2, leafCapacity / 4);
        indexMinFill = Math.max(2, indexCapacity / 4); // so that a page off the spine always has a sibling
        leafMergeMax = 3 * leafCapacity / 4;
        indexMergeMax = 3 * indexCapacity / 4;
    }

    int capacity(boolean leaf) {
        return leaf ? leafCapacity : indexCapacity;
    }

    int minFill(boolean leaf) {
        return leaf ? leafMinFill : indexMinFill;
    }

    int mergeMax(boolean leaf) {
        return leaf ? leafMergeMax : indexMergeMax;
    }
}
