package dev.hashdir.engine.dir;

import dev.hashdir.engine.page.HeapPageSpace;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DirectoryTest {

    private static final int CHUNK_BITS = 3;
    private static final int CHUNKS_PER_STEP = 2;

    /**
     * Random splits, merges, doublings and halvings with small chunks, against an eagerly copied
     * array: every entry agrees after every step, and no step copies more than its budget.
     */
    @Test
    void incrementalResizingAgreesWithAnEagerArray() {
        for (long seed = 1; seed <= 20; seed++) {
            SplittableRandom random = new SplittableRandom(seed);
            Directory dir = new Directory(10, CHUNK_BITS, CHUNKS_PER_STEP);
            dir.init(1);
            long[] model = {Directory.entry(1, 0)};
            long nextPage = 2;
            for (int step = 0; step < 2000; step++) {
                String where = "seed " + seed + " step " + step;
                dir.resetCopied();
                dir.step();
                long written = 0;
                long index = random.nextLong(dir.size());
                long e = dir.entry(index);
                int local = Directory.depth(e);
                int op = random.nextInt(10);
                if (op < 5) {
                    if (local == dir.globalDepth() && dir.canDouble()) {
                        dir.doubleDepth();
                        model = doubled(model);
                        index = index * 2;
                    }
                    if (local < dir.globalDepth()) {
                        written = dir.span(local);
                        long page = nextPage++;
                        dir.split(index, page);
                        long first = dir.firstIndex(index, local);
                        long half = dir.span(local + 1);
                        for (long i = first; i < first + 2 * half; i++) {
                            model[(int) i] = Directory.entry(i < first + half ? Directory.page(e) : page, local + 1);
                        }
                    }
                } else if (op < 9) {
                    if (local > 0 && Directory.depth(dir.entry(dir.buddyIndex(index, local))) == local) {
                        written = dir.span(local - 1);
                        dir.merge(index, Directory.page(e));
                        long first = dir.firstIndex(index, local - 1);
                        for (long i = first; i < first + dir.span(local - 1); i++) {
                            model[(int) i] = Directory.entry(Directory.page(e), local - 1);
                        }
                    }
                } else if (dir.canHalve()) {
                    dir.halve();
                    model = halved(model);
                }
                long chunk = 1L << Math.min(CHUNK_BITS, dir.globalDepth());
                assertThat(dir.copied()).as(where).isLessThanOrEqualTo((CHUNKS_PER_STEP + 2) * chunk + written);
                assertThat(dir.size()).as(where).isEqualTo(model.length);
                long[] actual = new long[model.length];
                for (int i = 0; i < model.length; i++) {
                    actual[i] = dir.entry(i);
                }
                assertThat(actual).as(where).isEqualTo(model);
                assertThat(dir.buckets()).as(where).isEqualTo(countBuckets(model));
            }
        }
    }

    /** Buckets of random local depths (so spans of 1 to 2^6 entries), across chunks, loaded and read back; bad tilings refused. */
    @Test
    void loadTilesTheDirectoryWithBucketsOfAnySpan() {
        java.util.Random random = new java.util.Random(13);
        int depth = 12;
        for (int round = 0; round < 20; round++) {
            List<Long> buckets = new ArrayList<>();
            long[] model = new long[1 << depth];
            long i = 0;
            long page = 1;
            while (i < model.length) {
                int local = depth - random.nextInt(7);
                while ((i & ((1L << (depth - local)) - 1)) != 0) {
                    local++; // aligned: a bucket at depth d starts at a multiple of its span
                }
                long e = Directory.entry(page++, local);
                buckets.add(e);
                for (long k = i; k < i + (1L << (depth - local)); k++) {
                    model[(int) k] = e;
                }
                i += 1L << (depth - local);
            }
            Directory dir = new Directory(20, 4, 2);
            dir.load(depth, buckets.stream().mapToLong(Long::longValue).toArray(), buckets.size());
            long[] actual = new long[model.length];
            for (int k = 0; k < model.length; k++) {
                actual[k] = dir.entry(k);
            }
            assertThat(actual).as("round %d", round).isEqualTo(model);
            assertThat(dir.buckets()).isEqualTo(buckets.size());
        }
        Directory dir = new Directory(20, 4, 2);
        long[] misaligned = {Directory.entry(1, 2), Directory.entry(2, 1), Directory.entry(3, 2)};
        assertThatThrownBy(() -> dir.load(2, misaligned, 3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("do not tile").hasMessageContaining("bucket=1");
        long[] deeper = {Directory.entry(1, 3)};
        assertThatThrownBy(() -> dir.load(2, deeper, 1)).hasMessageContaining("localDepth=3");
        long[] short1 = {Directory.entry(1, 1)};
        assertThatThrownBy(() -> dir.load(2, short1, 1)).hasMessageContaining("cover 2 of 4");
    }

    @Test
    void doublingADeepDirectoryCopiesABoundedAmountPerStep() {
        Directory dir = new Directory(20, 4, 2);
        List<Long> entries = new ArrayList<>();
        for (long p = 1; p <= 1 << 16; p++) {
            entries.add(Directory.entry(p, 16));
        }
        dir.load(16, entries.stream().mapToLong(Long::longValue).toArray(), entries.size());
        dir.resetCopied();
        dir.doubleDepth();
        assertThat(dir.copied()).isZero();
        assertThat(dir.resizing()).isTrue();
        int steps = 0;
        while (dir.resizing()) {
            dir.resetCopied();
            dir.step();
            assertThat(dir.copied()).isLessThanOrEqualTo(2 * 16);
            steps++;
        }
        assertThat(steps).isEqualTo((1 << 17) / 16 / 2);
        assertThat(dir.entry(12345)).isEqualTo(Directory.entry(12345 / 2 + 1, 16));
        assertThat(dir.entriesInMemory()).isEqualTo(1 << 17);
    }

    /**
     * Saves begun at a checkpoint and written page by page later: each loads back as the directory
     * was at its begin, though it changed meanwhile and the saves share one entries array (the
     * second and third fit in the first's, which then holds more than they do).
     */
    @Test
    void incrementalSavesLoadBackAsTheDirectoryWasAtTheirBegin() {
        try (HeapPageSpace space = new HeapPageSpace(4096)) {
            Directory dir = new Directory(14);
            dir.init(space.allocate(dev.hashdir.engine.store.PageKind.BUCKET));
            SplittableRandom random = new SplittableRandom(5);
            DirectoryPages pages = new DirectoryPages(space);
            java.lang.foreign.MemorySegment scratch = java.lang.foreign.Arena.ofAuto().allocate(4096, 8);
            int[] splitsBefore = {1500, 20, 20};
            for (int round = 0; round < splitsBefore.length; round++) {
                split(dir, random, splitsBefore[round], 100_000 * (2L * round + 1));
                DirectoryPages.Save save = pages.beginSave(dir, new DirectoryPages.Counters(round, 7, 8),
                        () -> space.allocate(dev.hashdir.engine.store.PageKind.DIRECTORY));
                long[] atBegin = new long[(int) dir.size()];
                for (int i = 0; i < atBegin.length; i++) {
                    atBegin[i] = dir.entry(i);
                }
                long buckets = dir.buckets();
                split(dir, random, 300, 100_000 * (2L * round + 2)); // after the begin: not in this save
                while (!save.done()) {
                    long id = save.fillNext(scratch);
                    java.lang.foreign.MemorySegment.copy(scratch, 0, space.modify(id), 0, 4096);
                    space.release(id);
                }
                Directory loaded = new Directory(14);
                DirectoryPages.Counters counters = new DirectoryPages(space).load(save.root(), loaded);
                assertThat(counters).isEqualTo(new DirectoryPages.Counters(round, 7, 8));
                assertThat(loaded.buckets()).as("round %d", round).isEqualTo(buckets).isLessThan(dir.buckets());
                long[] actual = new long[(int) loaded.size()];
                for (int i = 0; i < actual.length; i++) {
                    actual[i] = loaded.entry(i);
                }
                assertThat(actual).as("round %d", round).isEqualTo(atBegin);
            }
        }
    }

    /** {@code n} random splits, the i-th making page {@code firstPage + i} (doubling where needed, the resize finished). */
    private static void split(Directory dir, SplittableRandom random, int n, long firstPage) {
        for (int i = 0; i < n; i++) {
            long index = random.nextLong(dir.size());
            if (Directory.depth(dir.entry(index)) == dir.globalDepth()) {
                if (!dir.canDouble()) {
                    dir.finishResize();
                    continue;
                }
                dir.doubleDepth();
                index *= 2;
            }
            dir.split(index, firstPage + i);
        }
        dir.finishResize();
    }

    @Test
    void savesAndLoadsThroughDirectoryPages() {
        try (HeapPageSpace space = new HeapPageSpace(4096)) {
            Directory dir = new Directory(12);
            dir.init(space.allocate(dev.hashdir.engine.store.PageKind.BUCKET));
            split(dir, new SplittableRandom(3), 3000, 1000);
            DirectoryPages pages = new DirectoryPages(space);
            long root = pages.save(dir, new DirectoryPages.Counters(3, 4, 5));
            assertThat(pages.pages().length).isGreaterThan(1);
            Directory loaded = new Directory(12);
            DirectoryPages.Counters counters = new DirectoryPages(space).load(root, loaded);
            assertThat(counters).isEqualTo(new DirectoryPages.Counters(3, 4, 5));
            assertThat(loaded.globalDepth()).isEqualTo(dir.globalDepth());
            assertThat(loaded.buckets()).isEqualTo(dir.buckets());
            for (long i = 0; i < dir.size(); i++) {
                assertThat(loaded.entry(i)).isEqualTo(dir.entry(i));
            }
            long live = space.livePages();
            long again = pages.save(dir, new DirectoryPages.Counters(0, 0, 0));
            assertThat(space.livePages()).as("the previous save's pages are freed").isEqualTo(live);
            assertThatThrownBy(() -> new DirectoryPages(space).load(again, new Directory(2)))
                    .hasMessageContaining("deeper than the configured bound");
        }
    }

    private static long[] doubled(long[] model) {
        long[] d = new long[model.length * 2];
        for (int i = 0; i < d.length; i++) {
            d[i] = model[i / 2];
        }
        return d;
    }

    private static long[] halved(long[] model) {
        long[] h = new long[model.length / 2];
        for (int i = 0; i < h.length; i++) {
            h[i] = model[2 * i];
        }
        return h;
    }

    private static long countBuckets(long[] model) {
        int g = Integer.numberOfTrailingZeros(model.length);
        long n = 0;
        for (int i = 0; i < model.length; ) {
            n++;
            i += 1 << (g - Directory.depth(model[i]));
        }
        return n;
    }
}
