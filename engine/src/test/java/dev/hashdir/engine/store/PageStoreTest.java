package dev.hashdir.engine.store;

import dev.hashdir.bindings.hdf5.H5Dataset;
import dev.hashdir.bindings.hdf5.H5File;
import dev.hashdir.engine.CorruptionException;
import dev.hashdir.engine.StoreException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PageStoreTest {

    @TempDir
    Path dir;

    @Test
    void initCreatesTheDocumentedLayout() throws Exception {
        PageStore.init(dir, new StoreOptions(20, 8192));
        try (H5File h5 = H5File.open(dir.resolve(StoreFormat.FILE_NAME), H5File.Mode.READ_ONLY);
             H5Dataset meta = h5.openDataset(StoreFormat.META_DATASET);
             H5Dataset pages = h5.openDataset(StoreFormat.PAGES_DATASET)) {
            assertThat(h5.stringAttribute(StoreFormat.ATTR_FORMAT)).isEqualTo("hashdir");
            assertThat(h5.longAttribute(StoreFormat.ATTR_KEY_BYTES)).isEqualTo(20);
            assertThat(h5.longAttribute(StoreFormat.ATTR_PAGE_SIZE)).isEqualTo(8192);
            assertThat(h5.longAttribute(StoreFormat.ATTR_FORMAT_READ)).isEqualTo(StoreFormat.WRITE_VERSION);
            assertThat(meta.dims()).containsExactly(2, MetaLayout.SLOT_BYTES);
            assertThat(pages.chunkDims()).containsExactly(1, 8192);
        }
        assertThat(dir.resolve(StoreFormat.FILE_NAME + ".init")).doesNotExist();
        try (PageStore store = PageStore.open(dir)) {
            assertThat(store.meta().epoch()).isEqualTo(1);
            assertThat(store.keyBytes()).isEqualTo(20);
            assertThat(store.pageSize()).isEqualTo(8192);
            assertThat(store.clearedStatusFlags()).isFalse();
        }
    }

    @Test
    void theSyncThreadStartsAtOpenNotInTheFirstCheckpoint() throws Exception {
        PageStore.init(dir, StoreOptions.defaults());
        long before = syncThreads();
        try (PageStore s = PageStore.open(dir)) {
            assertThat(syncThreads()).as("a live hashdir-sync thread once open, before any sync").isEqualTo(before + 1);
            PageStore.PendingSync sync = s.startSync();
            while (!sync.done()) {
                Thread.onSpinWait();
            }
            assertThat(syncThreads()).as("the first sync runs on that thread").isEqualTo(before + 1);
        }
    }

    private static long syncThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().equals("hashdir-sync")).count();
    }

    @Test
    void refusesToOverwriteAStore() throws Exception {
        PageStore.init(dir, StoreOptions.defaults());
        long size = Files.size(dir.resolve(StoreFormat.FILE_NAME));
        assertThatThrownBy(() -> PageStore.init(dir, StoreOptions.defaults()))
                .isInstanceOf(StoreException.class).hasMessageContaining("already exists");
        assertThat(Files.size(dir.resolve(StoreFormat.FILE_NAME))).isEqualTo(size);
    }

    @Test
    void pagesRoundTripAcrossReopen() throws Exception {
        try (Arena arena = Arena.ofConfined(); PageStore store = PageStore.create(dir, StoreOptions.defaults())) {
            MemorySegment page = arena.allocate(store.pageSize());
            store.ensureCapacity(10_000);
            assertThat(store.capacity()).isGreaterThanOrEqualTo(10_000);
            for (long id : new long[]{1, 2, 9_999, 500}) {
                TestPages.fill(page, id, 3);
                store.writePage(id, page);
            }
            store.sync();
        }
        try (Arena arena = Arena.ofConfined(); PageStore store = PageStore.open(dir)) {
            MemorySegment page = arena.allocate(store.pageSize());
            for (long id : new long[]{500, 9_999, 2, 1}) {
                store.readPage(id, page);
                assertThat(TestPages.matches(page, id)).as("page %d", id).isTrue();
            }
        }
    }

    @Test
    void metaSlotsAlternateAndTheNewestValidWins() throws Exception {
        try (PageStore store = PageStore.create(dir, StoreOptions.defaults())) {
            Meta m = store.meta();
            store.writeMeta(new Meta(m.formatRead(), m.formatWrite(), m.keyBytes(), m.pageSize(), 2, 77, 5, 3, 0, 0,
                    10, 20, 1, 1));
            store.sync();
            assertThatThrownBy(() -> store.writeMeta(store.meta().withEpoch(2)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("epoch must grow");
        }
        try (PageStore store = PageStore.open(dir)) {
            assertThat(store.meta().epoch()).isEqualTo(2);
            assertThat(store.meta().checkpointLsn()).isEqualTo(77);
            assertThat(store.meta().keys()).isEqualTo(10);
        }
        // tear the newest slot (epoch 2 lives in slot 0): the older checkpoint (epoch 1) must win
        flipMetaByte(0, 100);
        try (PageStore store = PageStore.open(dir)) {
            assertThat(store.meta().epoch()).isEqualTo(1);
        }
        flipMetaByte(1, 30);
        assertThatThrownBy(() -> PageStore.open(dir)).isInstanceOf(CorruptionException.class)
                .hasMessageContaining("no valid meta slot").hasMessageContaining("crc32c");
    }

    @Test
    void detectsACorruptPage() throws Exception {
        try (Arena arena = Arena.ofConfined(); PageStore store = PageStore.create(dir, StoreOptions.defaults())) {
            MemorySegment page = arena.allocate(store.pageSize());
            TestPages.fill(page, 7, 1);
            store.writePage(7, page);
            TestPages.fill(page, 8, 1);
            store.writePage(8, page);
            store.sync();
        }
        try (Arena arena = Arena.ofConfined();
             H5File h5 = H5File.open(dir.resolve(StoreFormat.FILE_NAME), H5File.Mode.READ_WRITE);
             H5Dataset pages = h5.openDataset(StoreFormat.PAGES_DATASET)) {
            MemorySegment raw = arena.allocate(StoreFormat.DEFAULT_PAGE_SIZE);
            pages.readChunk(7, raw);
            raw.set(ValueLayout.JAVA_BYTE, 1000, (byte) (raw.get(ValueLayout.JAVA_BYTE, 1000) ^ 0x10));
            pages.writeChunk(7, raw);
            pages.readChunk(8, raw);
            pages.writeChunk(9, raw); // a whole, valid page in the wrong place
        }
        try (Arena arena = Arena.ofConfined(); PageStore store = PageStore.open(dir)) {
            MemorySegment page = arena.allocate(store.pageSize());
            assertThatThrownBy(() -> store.readPage(7, page)).isInstanceOf(CorruptionException.class)
                    .hasMessageContaining("page checksum").hasMessageContaining("page=7");
            assertThatThrownBy(() -> store.readPage(9, page)).isInstanceOf(CorruptionException.class)
                    .hasMessageContaining("page id").hasMessageContaining("expected=9, actual=8");
            assertThatThrownBy(() -> store.readPage(10, page)).isInstanceOf(CorruptionException.class)
                    .hasMessageContaining("unreadable chunk");
            store.readPage(8, page);
            assertThat(TestPages.matches(page, 8)).isTrue();
        }
    }

    @Test
    void rejectsBadPageIdsAndBuffers() throws Exception {
        try (Arena arena = Arena.ofConfined(); PageStore store = PageStore.create(dir, StoreOptions.defaults())) {
            MemorySegment page = arena.allocate(store.pageSize());
            TestPages.fill(page, 3, 1);
            assertThatThrownBy(() -> store.writePage(0, page)).hasMessageContaining("page id out of range: id=0");
            assertThatThrownBy(() -> store.writePage(4, page)).hasMessageContaining("header says id 3");
            assertThatThrownBy(() -> store.readPage(store.capacity(), page)).hasMessageContaining("out of range");
            assertThatThrownBy(() -> store.readPage(3, arena.allocate(100))).hasMessageContaining("page size is 4096");
        }
    }

    @Test
    void aSecondWriterGetsAClearError() throws Exception {
        try (PageStore store = PageStore.create(dir, StoreOptions.defaults())) {
            assertThatThrownBy(() -> PageStore.open(dir)).isInstanceOf(StoreLockedException.class)
                    .hasMessageContaining("in use by another writer")
                    .hasMessageContaining("pid " + ProcessHandle.current().pid());
            assertThat(store.meta().epoch()).isEqualTo(1);
        }
        try (PageStore store = PageStore.open(dir)) {
            assertThat(store.meta().epoch()).isEqualTo(1);
        }
    }

    @Test
    void refusesAStoreFromANewerVersion() throws Exception {
        PageStore.init(dir, StoreOptions.defaults());
        TestStores.writeRawMeta(dir, 0, TestStores.fromANewerVersion());
        assertThatThrownBy(() -> PageStore.open(dir)).isInstanceOf(StoreException.class)
                .hasMessageContaining("needs a newer hashdir").hasMessageContaining("format read version 2");
        assertThat(dir.resolve(StoreFormat.LOCK_FILE_NAME)).exists();
    }

    @Test
    void refusesAFileThatIsNotAStore() throws Exception {
        Files.createDirectories(dir);
        try (H5File h5 = H5File.create(dir.resolve(StoreFormat.FILE_NAME))) {
            h5.setAttribute("format", "something-else");
        }
        assertThatThrownBy(() -> PageStore.open(dir)).isInstanceOf(StoreException.class)
                .hasMessageContaining("not a hashdir store");
        assertThatThrownBy(() -> PageStore.open(dir.resolve("nothing"))).isInstanceOf(StoreException.class)
                .hasMessageContaining("no store at");
    }

    @Test
    void reopensAfterAWriterKilledInTheMiddleOfWriting() throws Exception {
        PageStore.init(dir, StoreOptions.defaults());
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElseThrow());
        command.add("--enable-native-access=ALL-UNNAMED");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(CrashingWriter.class.getName());
        command.add(dir.toString());
        command.add("200");
        command.add("300");
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        List<String> output = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null && !line.equals("synced"); line = r.readLine()) {
                output.add(line);
            }
            assertThat(child.isAlive()).as("child output: %s", output).isTrue();
            Thread.sleep(300); // let it write unsynced pages for a while
            child.destroyForcibly(); // SIGKILL: no atexit, no close
        }
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(child.exitValue()).as("killed by SIGKILL").isEqualTo(137);

        try (Arena arena = Arena.ofConfined(); PageStore store = PageStore.open(dir)) {
            assertThat(store.clearedStatusFlags()).as("a killed SWMR writer leaves the status flags set").isTrue();
            MemorySegment page = arena.allocate(store.pageSize());
            for (long id = 1; id <= 200; id++) {
                store.readPage(id, page);
                assertThat(TestPages.matches(page, id)).as("synced page %d", id).isTrue();
            }
            TestPages.fill(page, 1, 2);
            store.writePage(1, page);
            store.sync();
        }
        try (Arena arena = Arena.ofConfined(); PageStore store = PageStore.open(dir)) {
            assertThat(store.clearedStatusFlags()).isFalse();
            MemorySegment page = arena.allocate(store.pageSize());
            store.readPage(1, page);
            assertThat(PageLayout.epoch(page)).isEqualTo(2);
        }
    }

    private void flipMetaByte(int slot, int offset) {
        try (Arena arena = Arena.ofConfined();
             H5File h5 = H5File.open(dir.resolve(StoreFormat.FILE_NAME), H5File.Mode.READ_WRITE);
             H5Dataset meta = h5.openDataset(StoreFormat.META_DATASET)) {
            MemorySegment buf = arena.allocate(MetaLayout.SLOT_BYTES);
            meta.readChunk(slot, buf);
            buf.set(ValueLayout.JAVA_BYTE, offset, (byte) (buf.get(ValueLayout.JAVA_BYTE, offset) ^ 1));
            meta.writeChunk(slot, buf);
        }
    }
}
