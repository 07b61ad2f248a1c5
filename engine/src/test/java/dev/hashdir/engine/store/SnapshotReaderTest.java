package dev.hashdir.engine.store;

import dev.hashdir.bindings.hdf5.H5Dataset;
import dev.hashdir.bindings.hdf5.H5File;
import dev.hashdir.engine.CorruptionException;
import dev.hashdir.engine.StoreException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
        writeStore((store, page) -> {
            for (long id = 1; id <= 3; id++) {
                TestPages.fill(page, id, 2);
                store.writePage(id, page);
            }
            publish(store, 2, 4);
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

    @Test
    void aCorruptPageFailsAfterBoundedRetries() throws Exception {
        writeStore((store, page) -> {
            for (long id = 1; id <= 2; id++) {
                TestPages.fill(page, id, 2);
                store.writePage(id, page);
            }
            publish(store, 2, 3);
        });
        try (Arena arena = Arena.ofConfined();
             H5File h5 = H5File.open(dir.resolve(StoreFormat.FILE_NAME), H5File.Mode.READ_WRITE);
             H5Dataset pages = h5.openDataset(StoreFormat.PAGES_DATASET)) {
            MemorySegment raw = arena.allocate(StoreFormat.DEFAULT_PAGE_SIZE);
            pages.readChunk(2, raw);
            raw.set(ValueLayout.JAVA_BYTE, 1000, (byte) (raw.get(ValueLayout.JAVA_BYTE, 1000) ^ 0x10));
            pages.writeChunk(2, raw);
        }
        try (SnapshotReader reader = SnapshotReader.open(dir); Arena arena = Arena.ofConfined()) {
            MemorySegment page = arena.allocate(reader.pageSize());
            assertThatThrownBy(() -> reader.readPage(2, page)).isInstanceOf(CorruptionException.class)
                    .hasMessageContaining("page checksum").hasMessageContaining("page=2")
                    .satisfies(e -> assertThat(e.getSuppressed()).hasSize(SnapshotReader.MAX_RETRIES));
            assertThat(reader.retries()).isEqualTo(SnapshotReader.MAX_RETRIES);
            reader.readPage(1, page);
            assertThat(TestPages.matches(page, 1)).isTrue();
        }
    }

    @Test
    void aPageNewerThanTheSnapshotIsStale() throws Exception {
        writeStore((store, page) -> {
            TestPages.fill(page, 1, 2);
            store.writePage(1, page);
            TestPages.fill(page, 2, 5); // slot reclaimed and rewritten by a later checkpoint
            store.writePage(2, page);
            publish(store, 2, 3);
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

    private static void check(SnapshotReader reader, long id, MemorySegment page, long[] epochOfPage) {
        reader.readPage(id, page);
        assertThat(TestPages.matches(page, id)).as("page %d at epoch %d", id, reader.meta().epoch()).isTrue();
        assertThat(PageLayout.epoch(page)).as("epoch of page %d", id).isEqualTo(epochOfPage[(int) id]);
    }

    private static void publish(PageStore store, long epoch, long pageCount) {
        Meta m = store.meta();
        store.writeMeta(new Meta(m.formatRead(), m.formatWrite(), m.keyBytes(), m.pageSize(), epoch,
                m.checkpointLsn(), pageCount, m.directoryRoot(), m.pageMapRoot(), m.deletionLogRoot(), m.keys(),
                m.values(), m.globalDepth(), m.rowCount()));
    }

    private interface StoreWork {
        void accept(PageStore store, MemorySegment page) throws Exception;
    }

    private void writeStore(StoreWork work) throws Exception {
        try (Arena arena = Arena.ofConfined(); PageStore store = PageStore.create(dir, StoreOptions.defaults())) {
            work.accept(store, arena.allocate(store.pageSize()));
            store.sync();
        }
    }
}
