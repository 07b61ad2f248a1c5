package dev.hashdir.engine.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class ChecksumsTest {

    @TempDir
    Path dir;

    /**
     * The reusable summer agrees with {@link Checksums#crc32c} on both of its paths (ranges copied,
     * ranges too large to copy), over seeded random contents and ranges of several segments.
     */
    @Test
    void reusableSummerAgreesWithTheOneShotOnEveryPath() {
        SplittableRandom rnd = new SplittableRandom(77);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment first = random(arena, 128, rnd);
            MemorySegment[] others = {random(arena, 4096, rnd), random(arena, 4096, rnd), random(arena, 200_000, rnd)};
            Checksums.Crc32c crc = new Checksums.Crc32c();
            for (int i = 0; i < 2_000; i++) {
                MemorySegment s = i % 4 == 0 ? first : others[rnd.nextInt(others.length)];
                long offset = rnd.nextLong(s.byteSize());
                long length = rnd.nextLong(s.byteSize() - offset + 1);
                assertThat(crc.of(s, offset, length)).as("segment of %d bytes, [%d, +%d)", s.byteSize(), offset, length)
                        .isEqualTo(Checksums.crc32c(s, offset, length));
            }
        }
    }

    /**
     * Writing and reading back pages through a page store sums each page (seal, verify) without
     * making an object per page: 2,000 rows written from and read into the frames of one mapping,
     * as the page cache does, allocate less than a byte per page on this thread.
     */
    @Test
    void pageStoreSumsPagesWithoutAllocating() throws Exception {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int rows = 2_000;
        try (Arena arena = Arena.ofConfined(); PageStore store = PageStore.create(dir, StoreOptions.defaults())) {
            int pageSize = store.pageSize();
            MemorySegment memory = arena.allocate((long) pageSize * 64, 4096);
            MemorySegment[] frames = new MemorySegment[64];
            for (int f = 0; f < frames.length; f++) {
                frames[f] = memory.asSlice((long) f * pageSize, pageSize);
                TestPages.fill(frames[f], f + 1, 1);
            }
            store.ensureCapacity(rows + 1);
            long least = Long.MAX_VALUE;
            long wrong = 0;
            for (int round = 0; round < 4; round++) {
                long before = mx.getCurrentThreadAllocatedBytes();
                for (int row = 1; row <= rows; row++) {
                    MemorySegment frame = frames[row % frames.length];
                    PageLayout.writeHeader(frame, PageKind.TEST, row, round + 1); // the body: random, filled once
                    store.writeRow(row, frame);
                }
                for (int row = 1; row <= rows; row++) {
                    MemorySegment frame = frames[(row * 7) % frames.length];
                    store.readRow(row, frame, row); // verifies the sum and the id
                    if (PageLayout.epoch(frame) != round + 1) {
                        wrong++; // counted, not asserted here: an assertion object a page would be measured too
                    }
                }
                least = Math.min(least, mx.getCurrentThreadAllocatedBytes() - before);
            }
            assertThat(wrong).as("pages read back with another version than written").isZero();
            assertThat(least).as("bytes allocated writing and reading %d pages (least of the rounds)", 2 * rows)
                    .isLessThan(rows);
        }
    }

    private static MemorySegment random(Arena arena, int bytes, SplittableRandom rnd) {
        MemorySegment s = arena.allocate(bytes, 8);
        for (int i = 0; i < bytes; i++) {
            s.set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt());
        }
        return s;
    }
}
