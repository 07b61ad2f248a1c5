package dev.hashdir.engine.store;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The header every page starts with (little-endian); the rest belongs to the page's kind.
 * Every page is self-describing: a reader can tell what it is, whose it is, when it was written,
 * and whether it is intact.
 *
 * <pre>
 *   offset size field
 *   ------ ---- -----------------------------------------------------------
 *        0    4 CRC32C of bytes [4, pageSize)
 *        4    1 kind ({@link PageKind})
 *        5    1 page format version ({@value #PAGE_VERSION})
 *        6    2 reserved (0)
 *        8    8 page id: the logical id of an index page (its row comes from the page map),
 *               the position in its chain or map of a PAGE_MAP, PAGE_MAP_INDEX or DELETION_LOG
 *               page; pages written by PageStore#writePage carry their row
 *       16    8 epoch (checkpoint epoch that wrote it)
 *       24    . kind-specific body
 * </pre>
 */
public final class PageLayout {

    public static final int CRC_OFFSET = 0;
    public static final int KIND_OFFSET = 4;
    public static final int VERSION_OFFSET = 5;
    public static final int PAGE_ID_OFFSET = 8;
    public static final int EPOCH_OFFSET = 16;
    public static final int HEADER_BYTES = 24;
    public static final int PAGE_VERSION = 1;

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;

    private PageLayout() {
    }

    /** Writes the header fields (not the CRC: {@link #seal} does that last). */
    public static void writeHeader(MemorySegment page, PageKind kind, long pageId, long epoch) {
        page.set(ValueLayout.JAVA_BYTE, KIND_OFFSET, (byte) kind.code());
        page.set(ValueLayout.JAVA_BYTE, VERSION_OFFSET, (byte) PAGE_VERSION);
        page.set(ValueLayout.JAVA_SHORT_UNALIGNED, 6, (short) 0);
        page.set(LONG, PAGE_ID_OFFSET, pageId);
        page.set(LONG, EPOCH_OFFSET, epoch);
    }

    /** Computes and stores the CRC over everything after it; call after the last change. */
    public static void seal(MemorySegment page) {
        page.set(INT, CRC_OFFSET, Checksums.crc32c(page, 4, page.byteSize() - 4));
    }

    /** {@link #seal(MemorySegment)} summed with {@code crc} (the page store's: nothing allocated). */
    public static void seal(MemorySegment page, Checksums.Crc32c crc) {
        page.set(INT, CRC_OFFSET, crc.of(page, 4, page.byteSize() - 4));
    }

    public static int storedCrc(MemorySegment page) {
        return page.get(INT, CRC_OFFSET);
    }

    public static int computedCrc(MemorySegment page) {
        return Checksums.crc32c(page, 4, page.byteSize() - 4);
    }

    /** {@link #computedCrc(MemorySegment)} summed with {@code crc} (nothing allocated). */
    public static int computedCrc(MemorySegment page, Checksums.Crc32c crc) {
        return crc.of(page, 4, page.byteSize() - 4);
    }

    public static int kindCode(MemorySegment page) {
        return page.get(ValueLayout.JAVA_BYTE, KIND_OFFSET) & 0xFF;
    }

    public static PageKind kind(MemorySegment page) {
        return PageKind.of(kindCode(page));
    }

    public static long pageId(MemorySegment page) {
        return page.get(LONG, PAGE_ID_OFFSET);
    }

    /** Stamps the epoch a page image belongs to (before {@link #seal}). */
    public static void epoch(MemorySegment page, long epoch) {
        page.set(LONG, EPOCH_OFFSET, epoch);
    }

    public static long epoch(MemorySegment page) {
        return page.get(LONG, EPOCH_OFFSET);
    }
}
