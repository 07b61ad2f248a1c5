package dev.hashdir.engine.values;

import dev.hashdir.engine.store.PageKind;
import dev.hashdir.engine.store.PageLayout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Page images of a value list (little-endian): a B+-tree whose leaves ({@link PageKind#VALUE_LEAF})
 * hold sorted unsigned 64-bit values and whose index pages ({@link PageKind#VALUE_INDEX}) hold
 * children with separator keys. Both kinds share the fields before the entries, so the root can
 * change kind in place and keep its id and its total.
 *
 * <pre>
 *   offset       size field
 *   ------------ ---- -----------------------------------------------------------------
 *        0         24 common header ({@link PageLayout}), kind VALUE_LEAF or VALUE_INDEX
 *       24          4 count: values in a leaf, children in an index page (u32)
 *       28          4 reserved (0)
 *       32          8 total: values in the whole list (u64); root page only, 0 in the others
 *       40          . entries, {@code count} of them
 *
 *   leaf entry i (8 bytes; capacity (pageSize - 40) / 8, 507 at 4 KiB):
 *   40 +  8i        8 value (u64); values ascend strictly, unsigned
 *
 *   index entry i (16 bytes; capacity (pageSize - 40) / 16, 253 at 4 KiB):
 *   40 + 16i        8 key (u64): every value under child i is &gt;= key i and &lt; key i+1
 *                     (unsigned); key 0 is unused and 0: child 0's lower bound is the parent's
 *   48 + 16i        8 child page id; all children of one page have the same kind
 * </pre>
 *
 * Leaves are not linked: ordered scans walk up and down the path instead (no sibling pointers to
 * keep right when pages split, merge or are freed).
 */
public final class ValueListLayout {

    public static final int COUNT_OFFSET = PageLayout.HEADER_BYTES;
    public static final int RESERVED_OFFSET = COUNT_OFFSET + 4;
    public static final int TOTAL_OFFSET = RESERVED_OFFSET + 4;
    public static final int ENTRIES_OFFSET = TOTAL_OFFSET + 8;

    public static final int VALUE_BYTES = 8;
    public static final int INDEX_ENTRY_BYTES = 16;
    public static final int KEY_IN_ENTRY = 0;
    public static final int CHILD_IN_ENTRY = 8;

    private static final ValueLayout.OfInt INT =
            ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private ValueListLayout() {
    }

    public static int leafCapacity(int pageSize) {
        return (pageSize - ENTRIES_OFFSET) / VALUE_BYTES;
    }

    public static int indexCapacity(int pageSize) {
        return (pageSize - ENTRIES_OFFSET) / INDEX_ENTRY_BYTES;
    }

    public static boolean isLeaf(MemorySegment page) {
        return PageLayout.kindCode(page) == PageKind.VALUE_LEAF.code();
    }

    public static boolean isIndex(MemorySegment page) {
        return PageLayout.kindCode(page) == PageKind.VALUE_INDEX.code();
    }

    /** Rewrites the kind in the header, keeping page id and epoch: the root changes kind in place. */
    public static void setKind(MemorySegment page, PageKind kind) {
        PageLayout.writeHeader(page, kind, PageLayout.pageId(page), PageLayout.epoch(page));
    }

    public static int count(MemorySegment page) {
        return page.get(INT, COUNT_OFFSET);
    }

    public static void setCount(MemorySegment page, int count) {
        page.set(INT, COUNT_OFFSET, count);
    }

    public static int reserved(MemorySegment page) {
        return page.get(INT, RESERVED_OFFSET);
    }

    public static long total(MemorySegment page) {
        return page.get(LONG, TOTAL_OFFSET);
    }

    public static void setTotal(MemorySegment page, long total) {
        page.set(LONG, TOTAL_OFFSET, total);
    }

    public static long valueOffset(int i) {
        return ENTRIES_OFFSET + (long) i * VALUE_BYTES;
    }

    public static long value(MemorySegment leaf, int i) {
        return leaf.get(LONG, valueOffset(i));
    }

    public static void setValue(MemorySegment leaf, int i, long value) {
        leaf.set(LONG, valueOffset(i), value);
    }

    public static long entryOffset(int i) {
        return ENTRIES_OFFSET + (long) i * INDEX_ENTRY_BYTES;
    }

    public static long key(MemorySegment index, int i) {
        return index.get(LONG, entryOffset(i) + KEY_IN_ENTRY);
    }

    public static void setKey(MemorySegment index, int i, long key) {
        index.set(LONG, entryOffset(i) + KEY_IN_ENTRY, key);
    }

    public static long child(MemorySegment index, int i) {
        return index.get(LONG, entryOffset(i) + CHILD_IN_ENTRY);
    }

    public static void setChild(MemorySegment index, int i, long child) {
        index.set(LONG, entryOffset(i) + CHILD_IN_ENTRY, child);
    }

    /** Copies {@code n} values (leaf) or entries (index) between pages, or within one (overlap allowed). */
    public static void copyEntries(boolean leaf, MemorySegment src, int from, MemorySegment dst, int to, int n) {
        long offsetFrom = leaf ? valueOffset(from) : entryOffset(from);
        long offsetTo = leaf ? valueOffset(to) : entryOffset(to);
        MemorySegment.copy(src, offsetFrom, dst, offsetTo, (long) n * (leaf ? VALUE_BYTES : INDEX_ENTRY_BYTES));
    }

    /** Copies {@code n} leaf values into {@code out[at..]}. */
    public static void copyValues(MemorySegment leaf, int from, long[] out, int at, int n) {
        MemorySegment.copy(leaf, LONG, valueOffset(from), out, at, n);
    }

    /** Copies {@code values[from..from+n)} into a leaf's values at {@code at}. */
    public static void copyValues(long[] values, int from, MemorySegment leaf, int at, int n) {
        MemorySegment.copy(values, from, leaf, LONG, valueOffset(at), n);
    }
}
