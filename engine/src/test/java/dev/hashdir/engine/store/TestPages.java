package dev.hashdir.engine.store;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/**
 * Deterministic test page images: the body is a pure function of (page id, version). Two fills:
 * {@link #fill} (pseudo-random, Java only) and {@link #fillPattern} (a cheap byte formula that
 * other languages can recompute, e.g. the h5py reader's tests).
 */
public final class TestPages {

    private TestPages() {
    }

    /** Fills {@code page} with the image of {@code id} at {@code version}. */
    public static void fill(MemorySegment page, long id, long version) {
        PageLayout.writeHeader(page, PageKind.TEST, id, version);
        SplittableRandom random = new SplittableRandom(id * 1_000_003L + version);
        for (long off = PageLayout.HEADER_BYTES; off + 8 <= page.byteSize(); off += 8) {
            page.set(ValueLayout.JAVA_LONG_UNALIGNED, off, random.nextLong());
        }
    }

    /** Whether {@code page} is exactly the image of {@code id} at the version its header names. */
    public static boolean matches(MemorySegment page, long id) {
        if (PageLayout.kind(page) != PageKind.TEST || PageLayout.pageId(page) != id) {
            return false;
        }
        SplittableRandom random = new SplittableRandom(id * 1_000_003L + PageLayout.epoch(page));
        for (long off = PageLayout.HEADER_BYTES; off + 8 <= page.byteSize(); off += 8) {
            if (page.get(ValueLayout.JAVA_LONG_UNALIGNED, off) != random.nextLong()) {
                return false;
            }
        }
        return PageLayout.storedCrc(page) == PageLayout.computedCrc(page);
    }

    /**
     * Fills {@code page} with the pattern image of {@code id} at {@code version}: header as
     * {@link #fill}, body byte at offset {@code off} = {@link #patternByte}.
     */
    public static void fillPattern(MemorySegment page, long id, long version) {
        PageLayout.writeHeader(page, PageKind.TEST, id, version);
        for (long off = PageLayout.HEADER_BYTES; off < page.byteSize(); off++) {
            page.set(ValueLayout.JAVA_BYTE, off, patternByte(id, version, off));
        }
    }

    /** Whether {@code page} is exactly the pattern image of {@code id} at the version its header names. */
    public static boolean matchesPattern(MemorySegment page, long id) {
        if (PageLayout.kind(page) != PageKind.TEST || PageLayout.pageId(page) != id) {
            return false;
        }
        long version = PageLayout.epoch(page);
        for (long off = PageLayout.HEADER_BYTES; off < page.byteSize(); off++) {
            if (page.get(ValueLayout.JAVA_BYTE, off) != patternByte(id, version, off)) {
                return false;
            }
        }
        return PageLayout.storedCrc(page) == PageLayout.computedCrc(page);
    }

    /** {@code (off * 7 + id * 131 + version * 31) mod 256}; client/python/tests computes the same. */
    static byte patternByte(long id, long version, long off) {
        return (byte) (off * 7 + id * 131 + version * 31);
    }
}
