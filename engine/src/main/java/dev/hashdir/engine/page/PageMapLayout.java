package dev.hashdir.engine.page;

import dev.hashdir.engine.store.PageLayout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A PAGE_MAP leaf (little-endian): the rows of logical page ids {@code [leaf * n, (leaf + 1) * n)},
 * {@code n = entriesPerLeaf(pageSize)}; the header's page id is the leaf number. Row 0 means the
 * logical id is free. The leaves' rows are listed, in order, by a chain of PAGE_MAP_INDEX pages
 * ({@link FreeListLayout}, root in {@code Meta.pageMapRoot}); the DELETION_LOG chain has the same
 * layout and holds pairs {@code (row, epoch retired)}.
 *
 * <pre>
 *   offset size field
 *   ------ ---- -----------------------------------------------------------
 *        0   24 common header ({@link PageLayout}), kind PAGE_MAP, page id = leaf number
 *       24  8*n row of logical id leaf * n + i (0 = free)
 * </pre>
 */
public final class PageMapLayout {

    public static final int ENTRIES_OFFSET = PageLayout.HEADER_BYTES;

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private PageMapLayout() {
    }

    /** Logical ids one leaf of {@code pageSize} bytes maps. */
    public static int entriesPerLeaf(int pageSize) {
        return (pageSize - ENTRIES_OFFSET) / 8;
    }

    public static long row(MemorySegment leaf, int i) {
        return leaf.get(LONG, ENTRIES_OFFSET + 8L * i);
    }

    /** Copies entries {@code [0, count)} of {@code leaf} into {@code rows[at, at + count)}. */
    public static void copyRows(MemorySegment leaf, long[] rows, int at, int count) {
        MemorySegment.copy(leaf, LONG, ENTRIES_OFFSET, rows, at, count);
    }

    public static void row(MemorySegment leaf, int i, long row) {
        leaf.set(LONG, ENTRIES_OFFSET + 8L * i, row);
    }
}
