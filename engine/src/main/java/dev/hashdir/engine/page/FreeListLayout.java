package dev.hashdir.engine.page;

import dev.hashdir.engine.store.PageLayout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A FREE_LIST page (little-endian): one link of the chain of free page ids a checkpoint records
 * (root in {@code Meta.freeListRoot}). The pages of the chain are themselves free once it is loaded.
 *
 * <pre>
 *   offset size field
 *   ------ ---- -----------------------------------------------------------
 *        0   24 common header ({@link PageLayout}), kind FREE_LIST
 *       24    8 next page of the chain (0 = last)
 *       32    4 ids in this page
 *       36    4 reserved (0)
 *       40  8*n free page ids
 * </pre>
 */
public final class FreeListLayout {

    public static final int NEXT_OFFSET = PageLayout.HEADER_BYTES;
    public static final int COUNT_OFFSET = NEXT_OFFSET + 8;
    public static final int IDS_OFFSET = COUNT_OFFSET + 8;

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private FreeListLayout() {
    }

    /** Ids one page of {@code pageSize} bytes holds. */
    public static int idsPerPage(int pageSize) {
        return (pageSize - IDS_OFFSET) / 8;
    }

    public static long next(MemorySegment page) {
        return page.get(LONG, NEXT_OFFSET);
    }

    public static void next(MemorySegment page, long next) {
        page.set(LONG, NEXT_OFFSET, next);
    }

    public static int count(MemorySegment page) {
        return page.get(INT, COUNT_OFFSET);
    }

    public static void count(MemorySegment page, int count) {
        page.set(INT, COUNT_OFFSET, count);
    }

    public static long id(MemorySegment page, int i) {
        return page.get(LONG, IDS_OFFSET + 8L * i);
    }

    public static void id(MemorySegment page, int i, long id) {
        page.set(LONG, IDS_OFFSET + 8L * i, id);
    }
}
