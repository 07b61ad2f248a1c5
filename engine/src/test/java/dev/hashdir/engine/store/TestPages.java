package dev.hashdir.engine.store;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/** Deterministic test page images: the body is a pure function of (page id, version). */
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
}
