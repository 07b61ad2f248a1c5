package dev.hashdir.engine.store;

import dev.hashdir.bindings.hdf5.H5Dataset;
import dev.hashdir.bindings.hdf5.H5File;
import dev.hashdir.engine.CorruptionException;
import dev.hashdir.engine.StoreException;
import dev.hashdir.engine.page.PageCache;
import dev.hashdir.engine.page.PageMapLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SnapshotReaderTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    void readsTheNewestPublishedMetaAndItsPages() throws Exception {
        writeStore((store, cache) -> {
            addPages(cache, 3);
            TestCheckpoints.publish(store, cache);
        });
        try (SnapshotReader reader = SnapshotReader.open(dir); Arena arena = Arena.ofConfined()) {
            assertThat(reader.meta().epoch()).isEqualTo(2);
            assertThat(reader.meta().pageCount()).isEqualTo(4);
            assertThat(reader.refresh()).isEqualTo(reader.meta());
            MemorySegment page = arena.allocate(reader.pageSize());
            for (long id = 1; id <= 3; id++) {
                reader.readPage(id, page);
                assertThat(TestPages.matches(page, id)).as("page %d", id).isTrue();
            }
            assertThat(reader.retries()).isZero();
        }
    }

    /**
     * Logical ids resolve through the snapshot's page map: across several leaves, pages rewritten
     * in a later epoch (copy-on-write: a new row), and a freed id (no row).
     */
    @Test
    void followsThePageMapAcrossLeavesRewritesAndFrees() throws Exception {
        int perLeaf = PageMapLayout.entriesPerLeaf(StoreFormat.DEFAULT_PAGE_SIZE);
        long[] rewritten = {1, perLeaf + 3, 2L * perLeaf + 5};
        long[] oldRows = new long[rewritten.length];
        writeStore((store, cache) -> {
            addPages(cache, 2 * perLeaf + 10); // epoch 2, three leaves
            TestCheckpoints.publish(store, cache);
            for (int i = 0; i < rewritten.length; i++) {
                oldRows[i] = cache.rowOf(rewritten[i]);
                TestPages.fill(cache.modify(rewritten[i]), rewritten[i], cache.epoch());
            }
            cache.free(7);
            TestCheckpoints.publish(store, cache); // epoch 3
        });
        try (SnapshotReader reader = SnapshotReader.open(dir); Arena arena = Arena.ofConfined()) {
            MemorySegment page = arena.allocate(reader.pageSize());
            assertThat(reader.meta().epoch()).isEqualTo(3);
            assertThat(reader.meta().pageCount()).isEqualTo(2L * perLeaf + 11);
            Set<Long> rows = new HashSet<>();
            for (long id = 1; id < reader.meta().pageCount(); id++) {
                if (id == 7) {
                    assertThat(reader.rowOf(id)).isZero();
                    assertThatThrownBy(() -> reader.readPage(7, page)).isInstanceOf(IllegalArgumentException.class)
                            .hasMessageContaining("free in the snapshot: id=7");
                    continue;
                }
                reader.readPage(id, page);
                assertThat(TestPages.matches(page, id)).as("page %d", id).isTrue();
                long epoch = id == rewritten[0] || id == rewritten[1] || id == rewritten[2] ? 3 : 2;
                assertThat(PageLayout.epoch(page)).as("epoch of page %d", id).isEqualTo(epoch);
                assertThat(rows.add(reader.rowOf(id))).as("row of page %d is its own", id).isTrue();
            }
            for (int i = 0; i < rewritten.length; i++) {
                assertThat(reader.rowOf(rewritten[i])).as("copy-on-write row of %d", rewritten[i])
                        .isNotEqualTo(oldRows[i]);
            }
            assertThat(reader.retries()).isZero();
        }
    }

    @Test
    void aCorruptPageFailsAfterBoundedRetries() throws Exception {
        long[] row = new long[1];
        writeStore((store, cache) -> {
            addPages(cache, 2);
            TestCheckpoints.publish(store, cache);
            row[0] = cache.rowOf(2);
        });
        flipAByte(row[0]);
        try (SnapshotReader reader = SnapshotReader.open(dir); Arena arena = Arena.ofConfined()) {
            MemorySegment page = arena.allocate(reader.pageSize());
            assertThat(reader.rowOf(2)).isEqualTo(row[0]);
            assertThatThrownBy(() -> reader.readPage(2, page)).isInstanceOf(CorruptionException.class)
                    .hasMessageContaining("page checksum (page 2)").hasMessageContaining("page=" + row[0])
                    .satisfies(e -> assertThat(e.getSuppressed()).hasSize(SnapshotReader.MAX_RETRIES));
            assertThat(reader.retries()).isEqualTo(SnapshotReader.MAX_RETRIES);
            reader.readPage(1, page);
            assertThat(TestPages.matches(page, 1)).isTrue();
        }
    }

    @Test
    void aPageNewerThanTheSnapshotIsStale() throws Exception {
        writeStore((store, cache) -> {
            addPages(cache, 2);
            TestCheckpoints.publish(store, cache);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment page = arena.allocate(store.pageSize());
                TestPages.fill(page, 2, 5); // row reclaimed and rewritten by a later checkpoint
                store.writeRow(cache.rowOf(2), page);
            }
        });
        try (SnapshotReader reader = SnapshotReader.open(dir); Arena arena = Arena.ofConfined()) {
            MemorySegment page = arena.allocate(reader.pageSize());
            reader.readPage(1, page);
            assertThatThrownBy(() -> reader.readPage(2, page)).isInstanceOf(StaleSnapshotException.class)
                    .hasMessageContaining("page=2 was rewritten in epoch 5").hasMessageContaining("snapshot epoch=2");
            assertThat(reader.retries()).as("a whole newer page is not retried").isZero();
        }
    }

    @Test
    void rejectsIdsOutsideTheSnapshot() throws Exception {
        PageStore.init(dir, StoreOptions.defaults());
        try (SnapshotReader reader = SnapshotReader.open(dir); Arena arena = Arena.ofConfined()) {
            MemorySegment page = arena.allocate(reader.pageSize());
            assertThatThrownBy(() -> reader.readPage(0, page)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("id=0, pageCount=1, epoch=1");
            assertThatThrownBy(() -> reader.readPage(1, page)).isInstanceOf(IllegalArgumentException.class);
            assertThat(reader.meta().epoch()).isEqualTo(1);
        }
    }

    @Test
    void refusesWhatItCannotRead() throws Exception {
        assertThatThrownBy(() -> SnapshotReader.open(dir)).isInstanceOf(StoreException.class)
                .hasMessageContaining("no store at");
        try (H5File h5 = H5File.create(dir.resolve(StoreFormat.FILE_NAME))) {
            h5.setAttribute("format", "something-else");
        }
        assertThatThrownBy(() -> SnapshotReader.open(dir)).isInstanceOf(StoreException.class)
                .hasMessageContaining("not a hashdir store");

        Files.delete(dir.resolve(StoreFormat.FILE_NAME));
        PageStore.init(dir, StoreOptions.defaults());
        TestStores.writeRawMeta(dir, 0, TestStores.fromANewerVersion());
        assertThatThrownBy(() -> SnapshotReader.open(dir)).isInstanceOf(StoreException.class)
                .hasMessageContaining("needs a newer hashdir").hasMessageContaining("format read version 2");
    }

    /**
     * A writer in another process publishes 80 epochs of new pages (crossing the initial extent of
     * /pages) while this process follows it: every page below each published page count must
     * verify and be exactly what the writer wrote in the epoch that published it.
     */
    @Test
    void followsAWriterThatPublishesWhileItReads() throws Exception {
        int epochs = 80;
        long[] epochOfPage = epochOfEachPage(epochs);
        PageStore.init(dir, StoreOptions.defaults());
        try (ChildProcess writer = ChildProcess.java(PublishingWriter.class, dir.toString(),
                Integer.toString(epochs), "10", "random")) {
            writer.awaitLine("ready", TIMEOUT);
            try (SnapshotReader reader = SnapshotReader.open(dir); Arena arena = Arena.ofConfined()) {
                MemorySegment page = arena.allocate(reader.pageSize());
                long finalEpoch = reader.meta().epoch() + epochs;
                writer.send("go");
                TreeSet<Long> epochsSeen = new TreeSet<>();
                SplittableRandom random = new SplittableRandom(42);
                long checkedBelow = 1;
                long deadline = System.nanoTime() + TIMEOUT.toNanos();
                while (reader.refresh().epoch() < finalEpoch) {
                    assertThat(System.nanoTime()).as("deadline; writer output: %s", writer.lines()).isLessThan(deadline);
                    Meta m = reader.meta();
                    epochsSeen.add(m.epoch());
                    for (long id = checkedBelow; id < m.pageCount(); id++) { // always the newest pages
                        check(reader, id, page, epochOfPage);
                    }
                    checkedBelow = m.pageCount();
                    for (int i = 0; i < 32 && m.pageCount() > 1; i++) { // and a sample of older ones
                        check(reader, 1 + random.nextLong(m.pageCount() - 1), page, epochOfPage);
                    }
                }
                epochsSeen.add(reader.meta().epoch());
                for (long id = 1; id < reader.meta().pageCount(); id++) {
                    check(reader, id, page, epochOfPage);
                }
                System.out.printf("epochs seen=%d of %d, page refreshes=%d, retries=%d%n", epochsSeen.size(),
                        epochs + 1, reader.pageRefreshes(), reader.retries());
                assertThat(writer.waitFor(TIMEOUT)).as("writer output: %s", writer.lines()).isZero();
                assertThat(writer.lines()).contains("done epoch=" + finalEpoch + " pageCount=" + epochOfPage.length);
                assertThat(reader.meta().pageCount()).isEqualTo(epochOfPage.length)
                        .as("pages beyond the initial extent of /pages").isGreaterThan(PageStore.GROWTH_PAGES);
                assertThat(epochsSeen).as("epochs seen while the writer ran").hasSizeGreaterThanOrEqualTo(5);
                assertThat(reader.pageRefreshes()).isGreaterThan(1);
            }
        }
    }

    /**
     * HDF5 1.10 readers keep a shared file lock while open, which makes a writer's open fail; the
     * reader opens without it, so a writer can start, and restart, under open readers.
     */
    @Test
    void anOpenReaderDoesNotKeepTheWriterFromStartingOrRestarting() throws Exception {
        PageStore.init(dir, StoreOptions.defaults());
        try (SnapshotReader reader = SnapshotReader.open(dir); Arena arena = Arena.ofConfined()) {
            MemorySegment page = arena.allocate(reader.pageSize());
            for (int run = 1; run <= 2; run++) {
                try (ChildProcess writer = ChildProcess.java(PublishingWriter.class, dir.toString(), "3", "0",
                        "random")) {
                    writer.awaitLine("ready", TIMEOUT);
                    writer.send("go");
                    assertThat(writer.waitFor(TIMEOUT)).as("writer output: %s", writer.lines()).isZero();
                }
                Meta m = reader.refresh();
                assertThat(m.epoch()).as("after run %d", run).isEqualTo(1 + 3L * run);
                for (long id = 1; id < m.pageCount(); id++) {
                    reader.readPage(id, page);
                    assertThat(TestPages.matches(page, id)).as("page %d after run %d", id, run).isTrue();
                }
            }
        }
    }

    /** epochOfPage[id] = the epoch in which {@link PublishingWriter} wrote page id; length = final page count. */
    static long[] epochOfEachPage(int epochs) {
        int total = 1;
        for (int i = 1; i <= epochs; i++) {
            total += PublishingWriter.pagesInEpoch(i);
        }
        long[] epochOf = new long[total];
        int id = 1;
        for (int i = 1; i <= epochs; i++) {
            for (int n = 0; n < PublishingWriter.pagesInEpoch(i); n++) {
                epochOf[id++] = 1 + i;
            }
        }
        return epochOf;
    }

    /**
     * Reads and checks page {@code id}. The map's rows are reused after the grace checkpoint, so a
     * reader that fell behind may find its snapshot stale: it refreshes and reads again.
     */
    private static void check(SnapshotReader reader, long id, MemorySegment page, long[] epochOfPage) {
        for (int attempt = 0; ; attempt++) {
            try {
                reader.readPage(id, page);
                break;
            } catch (StaleSnapshotException e) {
                assertThat(attempt).as("stale again after %d refreshes: %s", attempt, e).isLessThan(10);
                reader.refresh();
            }
        }
        assertThat(TestPages.matches(page, id)).as("page %d at epoch %d", id, reader.meta().epoch()).isTrue();
        assertThat(PageLayout.epoch(page)).as("epoch of page %d", id).isEqualTo(epochOfPage[(int) id]);
    }

    /** Adds {@code n} TEST pages of the cache's current epoch; returns the first id. */
    private static long addPages(PageCache cache, int n) {
        long first = 0;
        for (int i = 0; i < n; i++) {
            long id = cache.allocate(PageKind.TEST);
            first = i == 0 ? id : first;
            TestPages.fill(cache.modify(id), id, cache.epoch());
            cache.endOperation();
        }
        return first;
    }

    private void flipAByte(long row) {
        try (Arena arena = Arena.ofConfined();
             H5File h5 = H5File.open(dir.resolve(StoreFormat.FILE_NAME), H5File.Mode.READ_WRITE);
             H5Dataset pages = h5.openDataset(StoreFormat.PAGES_DATASET)) {
            MemorySegment raw = arena.allocate(StoreFormat.DEFAULT_PAGE_SIZE);
            pages.readChunk(row, raw);
            raw.set(ValueLayout.JAVA_BYTE, 1000, (byte) (raw.get(ValueLayout.JAVA_BYTE, 1000) ^ 0x10));
            pages.writeChunk(row, raw);
        }
    }

    private interface StoreWork {
        void accept(PageStore store, PageCache cache) throws Exception;
    }

    /** Writes a store through the engine's page cache and page map ({@link TestCheckpoints}). */
    private void writeStore(StoreWork work) throws Exception {
        try (PageStore store = PageStore.create(dir, StoreOptions.defaults());
             PageCache cache = PageCache.withFrames(store, 64)) {
            work.accept(store, cache);
            store.sync();
        }
    }
}
