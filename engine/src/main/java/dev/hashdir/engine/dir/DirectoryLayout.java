package dev.hashdir.engine.dir;

import dev.hashdir.engine.store.PageLayout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A DIRECTORY page (little-endian): one link of the chain a checkpoint saves the directory in
 * (root in {@code Meta.directoryRoot}). The directory is stored as its buckets, one entry per
 * bucket in directory order ({@link Directory#entry}); loading tiles them back over 2^G entries.
 * The root page also carries the index's counters that {@code Meta} has no field for.
 *
 * <pre>
 *   offset size field
 *   ------ ---- -----------------------------------------------------------
 *        0   24 common header ({@link PageLayout}), kind DIRECTORY
 *       24    8 next page of the chain (0 = last)
 *       32    4 bucket entries in this page
 *       36    1 global depth G (same in every page)
 *       37    3 reserved (0)
 *       40    8 overflow pages        (root page; 0 elsewhere)
 *       48    8 keys in value lists   (root page; 0 elsewhere)
 *       56    8 used bucket slots     (root page; 0 elsewhere)
 *       64    8 buckets in the chain  (root page; 0 elsewhere)
 *       72  8*n bucket entries: local depth &lt;&lt; 56 | bucket page id
 * </pre>
 */
public final class DirectoryLayout {

    public static final int NEXT_OFFSET = PageLayout.HEADER_BYTES;
    public static final int COUNT_OFFSET = NEXT_OFFSET + 8;
    public static final int DEPTH_OFFSET = COUNT_OFFSET + 4;
    public static final int OVERFLOW_PAGES_OFFSET = NEXT_OFFSET + 16;
    public static final int VALUE_LISTS_OFFSET = OVERFLOW_PAGES_OFFSET + 8;
    public static final int USED_SLOTS_OFFSET = VALUE_LISTS_OFFSET + 8;
    public static final int BUCKETS_OFFSET = USED_SLOTS_OFFSET + 8;
    public static final int ENTRIES_OFFSET = BUCKETS_OFFSET + 8;

    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private DirectoryLayout() {
    }

    public static int entriesPerPage(int pageSize) {
        return (pageSize - ENTRIES_OFFSET) / 8;
    }

    public static long entryOffset(int i) {
        return ENTRIES_OFFSET + 8L * i;
    }

    public static long next(MemorySegment page) {
        return page.get(LONG, NEXT_OFFSET);
    }

    public static int count(MemorySegment page) {
        return page.get(INT, COUNT_OFFSET);
    }

    public static int depth(MemorySegment page) {
        return page.get(ValueLayout.JAVA_BYTE, DEPTH_OFFSET);
    }
}
