package dev.hashdir.engine;

import dev.hashdir.engine.store.FaultyPageIo;
import dev.hashdir.engine.store.PageStore;
import dev.hashdir.engine.store.PageKind;
import dev.hashdir.engine.store.PageLayout;
import dev.hashdir.engine.store.StoreOptions;
import dev.hashdir.engine.wal.FaultyWalDirectory;
import dev.hashdir.engine.wal.GatedWalDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Random;

import static dev.hashdir.engine.FailureTestKeys.CONFIG;
import static dev.hashdir.engine.FailureTestKeys.KEY_BYTES;
import static dev.hashdir.engine.FailureTestKeys.WAL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The page store failing under {@link DurableHashDir} (through {@link FaultyPageIo}): a full disk
 * or a failing fdatasync during a checkpoint or an eviction turns the engine read-only with the
 * reason, reads keep answering, nothing committed is lost, writing resumes when space returns;
 * and a corrupt page is read-only with a clear reason, never a wrong answer.
 */
class PageStoreFailureTest {

    private static final long SEED = Long.getLong("hashdir.pagefail.seed", 4242L);

    @TempDir
    Path dir;

    private final Arena arena = Arena.ofAuto();
    private final FailureTestKeys keys = new FailureTestKeys();
    private final FaultyPageIo pages = new FaultyPageIo(SEED, 4096);
    private final FaultyWalDirectory wal = new FaultyWalDirectory(SEED, 4096);

    private DurableHashDir open(int frames) throws Exception {
        HashDir.Tuning tuning = new HashDir.Tuning(HashDir.Tuning.DEFAULT.chunkBits(), frames, pages.wrapper());
        return DurableHashDir.open(dir, CONFIG, WAL, wal, tuning);
    }

    private void fill(DurableHashDir d, int from, int to) {
        for (int k = from; k < to; k++) {
            d.put(keys.of(k), k);
            d.put(keys.of(k), k + 1_000_000L);
        }
    }

    private void assertHolds(DurableHashDir d, int from, int to) {
        for (int k = from; k < to; k++) {
            assertThat(d.count(keys.of(k))).as("key %d", k).isEqualTo(2);
            assertThat(d.contains(keys.of(k), k)).as("key %d", k).isTrue();
            assertThat(d.contains(keys.of(k), k + 1_000_000L)).as("key %d", k).isTrue();
        }
    }

    /** A new store, opened with {@code frames} cache frames, holding keys [0, {@code n}) committed. */
    private DurableHashDir initOpenAndFill(int frames, int n) throws Exception {
        PageStore.init(dir, new StoreOptions(KEY_BYTES, 4096));
        DurableHashDir d = open(frames);
        fill(d, 0, n);
        d.commit();
        return d;
    }

    /** Writes keys [from, to) and commits, closes {@code d}; then a reopen holds every key below {@code to}. */
    private void fillCloseAndAssertReopenedHolds(DurableHashDir d, int from, int to) throws Exception {
        fill(d, from, to);
        d.commit();
        d.close();
        try (DurableHashDir again = open(8)) {
            assertHolds(again, 0, to);
        }
    }

    /** A power failure under {@code d}: the page file keeps its unsynced writes by {@code pageFault}, the WAL none. */
    private void crash(DurableHashDir d, FaultyPageIo.Fault pageFault) throws Exception {
        pages.crash(new Random(SEED), pageFault);
        d.crash();
        wal.crash(new Random(SEED), FaultyWalDirectory.Fault.DROP_UNSYNCED);
    }

    @Test
    void aFullDiskDuringACheckpointIsReadOnlyWithTheReasonReadsGoOnAndWritingResumes() throws Exception {
        DurableHashDir d = initOpenAndFill(0, 3000);
        d.checkpoint();
        fill(d, 3000, 6000);
        long acked = d.commit();
        pages.failWritesAfter(3);
        assertThatThrownBy(d::checkpoint).isInstanceOf(ReadOnlyException.class)
                .hasMessageContaining("checkpoint write failed")
                .hasMessageContaining("No space left on device")
                .hasStackTraceContaining("simulated H5FD__sec2_write(): file write failed: errno = 28");
        assertThat(d.readOnlyReason()).as("one line, the errno in it").matches(
                "checkpoint write failed: page store .*hashdir\\.h5: writing page row \\d+ failed: "
                        + "H5Dwrite_chunk\\(/pages, offset=\\d+, size=4096\\) failed: errno=28 \\(No space left on device\\)");
        assertThatThrownBy(() -> d.put(keys.of(1), 7)).isInstanceOf(ReadOnlyException.class)
                .hasMessageContaining("No space left on device");
        assertHolds(d, 0, 6000);
        assertThat(d.count(keys.of(6001))).isZero();
        assertThat(d.commit()).as("nothing new to commit; the WAL still works").isEqualTo(acked);

        assertThat(d.tryResume()).as("still full").isFalse();
        assertThat(d.readOnlyReason()).contains("No space left on device");
        assertHolds(d, 0, 6000);

        pages.clearFailures();
        assertThat(d.tryResume()).isTrue();
        assertThat(d.readOnlyReason()).isNull();
        assertThat(d.resumes()).isEqualTo(1);
        assertThat(d.hashDir().durableMeta().checkpointLsn()).as("the resume wrote a checkpoint of everything")
                .isEqualTo(acked);
        assertHolds(d, 0, 6000);
        fill(d, 6000, 6500);
        d.commit();
        crash(d, FaultyPageIo.Fault.DROP_UNSYNCED);
        try (DurableHashDir again = open(0)) {
            assertHolds(again, 0, 6500);
            assertThat(again.count(keys.of(6500))).isZero();
        }
    }

    @Test
    void aResumeWhoseReopenFailsLeavesReadsFailingClearlyUntilALaterResumeReopens() throws Exception {
        DurableHashDir d = initOpenAndFill(8, 2000);
        pages.failWritesAfter(0);
        assertThatThrownBy(d::checkpoint).isInstanceOf(ReadOnlyException.class);
        assertHolds(d, 0, 2000); // rebuilt at once: that reopen worked
        pages.clearFailures();
        pages.failNextOpens(1);
        assertThat(d.tryResume()).isFalse();
        assertThat(d.readOnlyReason()).contains("simulated: unable to open file");
        assertThatThrownBy(() -> d.count(keys.of(1))).isInstanceOf(StoreException.class)
                .hasMessageStartingWith("reloading " + dir.resolve("hashdir.h5") + " failed: ")
                .hasMessageContaining("simulated: unable to open file");
        assertThat(d.tryResume()).isTrue();
        assertHolds(d, 0, 2000);
        fillCloseAndAssertReopenedHolds(d, 2000, 2100);
    }

    @Test
    void aFailingSyncThatDropsPagesIsRebuiltFromTheCheckpointAndTheWal() throws Exception {
        DurableHashDir d = initOpenAndFill(8, 4000);
        d.checkpoint();
        fill(d, 4000, 8000);
        d.commit();
        pages.failNextSyncs(1);
        assertThatThrownBy(d::checkpoint).isInstanceOf(ReadOnlyException.class)
                .hasMessageContaining("syncing failed: fdatasync(simulated): Input/output error (EIO)");
        assertThat(pages.droppedBySyncFailure).as("the failed sync lost written pages").isPositive();
        assertThat(d.hashDir().store().reopens()).as("memory rebuilt at once").isEqualTo(1);
        assertHolds(d, 0, 8000); // with 8 frames, nearly every read comes from the file
        assertThatThrownBy(() -> d.put(keys.of(1), 7)).isInstanceOf(ReadOnlyException.class);
        assertThat(d.tryResume()).isTrue();
        fillCloseAndAssertReopenedHolds(d, 8000, 8100);
    }

    /**
     * The rebuild after a failed checkpoint reopens the file at its last checkpoint, then replays
     * the WAL: when that replay fails, memory lacks committed changes, so reads fail clearly until
     * a resume has replayed it, never answering from the checkpoint alone.
     */
    @Test
    void aRebuildWhoseWalReplayFailsRefusesReadsUntilAResumeReplaysTheWal() throws Exception {
        PageStore.init(dir, new StoreOptions(KEY_BYTES, 4096));
        GatedWalDirectory gated = new GatedWalDirectory(wal);
        DurableHashDir d = DurableHashDir.open(dir, CONFIG, WAL, gated,
                new HashDir.Tuning(HashDir.Tuning.DEFAULT.chunkBits(), 8, pages.wrapper()));
        fill(d, 0, 3000);
        d.checkpoint();
        fill(d, 3000, 6000);
        long acked = d.commit();
        pages.failNextSyncs(1);
        gated.failReads(true);
        assertThatThrownBy(d::checkpoint).isInstanceOf(ReadOnlyException.class)
                .hasMessageContaining("syncing failed");
        assertThat(d.hashDir().store().reopens()).as("the rebuild reopened the file").isEqualTo(1);
        for (int k : new int[] {0, 2999, 3000, 5999}) {
            assertThatThrownBy(() -> d.count(keys.of(k))).as("key %d", k).isInstanceOf(StoreException.class)
                    .hasMessageContaining("was reloaded from its last durable checkpoint")
                    .hasMessageContaining("reads wait for it");
        }
        assertThatThrownBy(() -> d.hashDir().checkpoint(acked)).as("a checkpoint would claim what memory lacks")
                .isInstanceOf(IllegalStateException.class).hasMessageStartingWith("no checkpoint at LSN " + acked + ": ");
        assertThat(d.tryResume()).as("the WAL still cannot be read").isFalse();
        assertThat(d.readOnlyReason()).contains("(simulated): Input/output error");
        assertThatThrownBy(() -> d.contains(keys.of(4000), 4000)).isInstanceOf(StoreException.class);
        gated.failReads(false);
        assertThat(d.tryResume()).isTrue();
        assertHolds(d, 0, 6000);
        fillCloseAndAssertReopenedHolds(d, 6000, 6100);
    }

    @Test
    void aFullDiskWhileEvictingFinishesTheOperationInMemoryThenTurnsReadOnly() throws Exception {
        DurableHashDir d = initOpenAndFill(8, 2000);
        pages.failWritesAfter(0);
        int k = 2000;
        long lsn = 2L * 2000;
        boolean second = false;
        while (d.readOnlyReason() == null) {
            // each put completes; the one whose eviction failed is logged, then the engine is read-only
            second = !second;
            assertThat(d.put(keys.of(k), second ? k : k + 1_000_000L)).isEqualTo(1);
            lsn++;
            if (!second) {
                k++;
            }
        }
        int written = k;
        assertThat(d.readOnlyReason()).startsWith("page store write failed: ").endsWith("errno=28 (No space left on device)");
        assertThat(d.hashDir().cache().writeFailures()).isPositive();
        assertThat(d.commit()).as("the changes applied are logged and can be committed").isEqualTo(lsn);
        assertHolds(d, 0, written);
        assertThat(d.contains(keys.of(written), written)).isEqualTo(second);
        assertThatThrownBy(() -> d.put(keys.of(99_999), 1)).isInstanceOf(ReadOnlyException.class);
        pages.clearFailures();
        assertThat(d.tryResume()).isTrue();
        fill(d, written, written + 100);
        assertHolds(d, 0, written + 100);
        d.commit();
        crash(d, FaultyPageIo.Fault.MIXED);
        try (DurableHashDir again = open(8)) {
            assertHolds(again, 0, written + 100);
        }
    }

    @Test
    void aCorruptPageIsReadOnlyWithTheReasonNeverAWrongAnswer() throws Exception {
        PageStore.init(dir, new StoreOptions(KEY_BYTES, 4096));
        Random r = new Random(SEED);
        long victim;
        DurableHashDir d = open(8);
        d.hashDir().cache().trackPublishedRows(true);
        fill(d, 0, 3000);
        d.commit();
        d.checkpoint();
        long[] rows = d.hashDir().cache().publishedRows();
        MemorySegment page = arena.allocate(4096, 4096);
        java.util.List<Long> buckets = new java.util.ArrayList<>();
        for (int i = 0; i < rows.length; i += 2) {
            d.hashDir().store().readRow(rows[i], page, rows[i + 1]);
            if (PageLayout.kind(page) == PageKind.BUCKET) {
                buckets.add(rows[i]);
            }
        }
        assertThat(buckets).hasSizeGreaterThan(4);
        victim = buckets.get(r.nextInt(buckets.size()));
        int offset = PageLayout.HEADER_BYTES + r.nextInt(4096 - PageLayout.HEADER_BYTES);
        pages.flipDurableBit(victim, offset, r.nextInt(8));
        d.crash(); // the cache goes: every read comes from the file

        d = open(8);
        int answered = 0;
        int failed = 0;
        for (int k = 0; k < 3000; k++) {
            try {
                long count = d.count(keys.of(k));
                boolean has = d.contains(keys.of(k), k + 1_000_000L);
                assertThat(count).as("key %d", k).isEqualTo(2);
                assertThat(has).as("key %d", k).isTrue();
                answered++;
            } catch (CorruptionException e) {
                failed++;
                assertThat(e).hasMessageContaining("corrupt page checksum").hasMessageContaining("page=" + victim);
                assertThat(d.readOnlyReason()).startsWith("corruption detected: corrupt page checksum")
                        .contains("page=" + victim).endsWith("(read-only until repaired; check the store with hashdir check)");
            }
        }
        System.out.printf("flipped a bit at offset %d of row %d: %d keys answered, %d refused%n", offset, victim,
                answered, failed);
        assertThat(failed).as("the keys of the damaged bucket are refused").isPositive();
        assertThat(answered).as("reads of undamaged pages still answer").isGreaterThan(2000);
        DurableHashDir ro = d;
        assertThatThrownBy(() -> ro.put(keys.of(5), 1)).isInstanceOf(ReadOnlyException.class)
                .hasMessageContaining("corruption detected");
        assertThat(d.tryResume()).as("corruption never resumes by itself").isFalse();
        d.crash();
    }
}
