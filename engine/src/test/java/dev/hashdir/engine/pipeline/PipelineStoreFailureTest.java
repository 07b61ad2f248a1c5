package dev.hashdir.engine.pipeline;

import dev.hashdir.engine.DurableHashDir;
import dev.hashdir.engine.HashDir;
import dev.hashdir.engine.HashDirConfig;
import dev.hashdir.engine.TunedHashDirs;
import dev.hashdir.engine.store.FaultyPageIo;
import dev.hashdir.engine.store.PageKind;
import dev.hashdir.engine.store.PageLayout;
import dev.hashdir.engine.store.PageStore;
import dev.hashdir.engine.store.StoreOptions;
import dev.hashdir.engine.wal.Durability;
import dev.hashdir.engine.wal.FaultyWalDirectory;
import dev.hashdir.engine.wal.GatedWalDirectory;
import dev.hashdir.engine.wal.WalOptions;
import dev.hashdir.engine.wal.WalWriter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static dev.hashdir.engine.pipeline.PipelineTest.done;
import static dev.hashdir.engine.pipeline.PipelineTest.key;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The pipeline over a failing page store: a page write that fails under a request (an eviction on
 * a full disk) turns it read-only before the next mutation, with the reason, and once the disk
 * takes writes again it resumes by itself (reopen, WAL replay, checkpoint), losing nothing
 * acknowledged; a corrupt page fails
 * the request that meets it ({@code internal}) and turns it read-only, with the reason; reads of
 * everything else go on answering.
 */
class PipelineStoreFailureTest {

    private static final int KEY_BYTES = 32;

    @TempDir
    Path tmp;

    private final GatedWalDirectory walDir = new GatedWalDirectory(new FaultyWalDirectory(11, 4096));
    private final FaultyPageIo pages = new FaultyPageIo(11, 4096);
    private Pipeline pipeline;

    @AfterEach
    void tearDown() throws IOException {
        if (pipeline != null) {
            pages.clearFailures();
            pipeline.close();
        }
    }

    private Pipeline start(Path data) throws IOException {
        HashDir hd = TunedHashDirs.open(data, HashDirConfig.defaults(), 8, pages.wrapper());
        WalWriter wal = WalWriter.open(walDir, WalOptions.of(KEY_BYTES, Durability.SYNC), 1, r -> { });
        pipeline = Pipeline.start(hd, wal, PipelineConfig.defaults().withRingSize(1024), EngineHook.NONE);
        return pipeline;
    }

    /** The put of key {@code key} (key i holds value i) was answered {@code reply}, the first not ok. */
    private record Refused(int key, Reply reply) {
    }

    /**
     * A fresh store, 3000 keys acknowledged, then page writes fail: puts go on until one has to write
     * a page (an eviction) and is refused.
     */
    private Refused fillUntilAWriteFails() throws Exception {
        Path data = tmp.resolve("data");
        PageStore.init(data, StoreOptions.defaults());
        start(data);
        for (int i = 0; i < 3000; i++) {
            Reply r = done(pipeline.put(key(i), i));
            assertThat(r.ok()).as("put %d: %s", i, r).isTrue();
        }
        pages.failWritesAfter(0);
        int i = 3000;
        Reply r;
        while ((r = done(pipeline.put(key(i), i))).ok()) {
            i++;
            assertThat(i).as("some put must evict a dirty page").isLessThan(100_000);
        }
        return new Refused(i, r);
    }

    @Test
    void aFailedPageWriteTurnsThePipelineReadOnlyAndReadsGoOn() throws Exception {
        Refused refused = fillUntilAWriteFails();
        int applied = refused.key();
        Reply r = refused.reply();
        assertThat(r.status()).isEqualTo(Status.READ_ONLY);
        assertThat(r.error()).isEqualTo(pipeline.readOnlyReason());
        assertThat(pipeline.readOnlyReason()).startsWith("page store write failed: writing page row ")
                .contains("No space left on device")
                .endsWith("(read-only until the disk takes writes again: retried every 1000 ms; reads go on)");
        assertThat(pipeline.pageStoreFailed()).isTrue();
        for (int k = 0; k < applied; k += 7) {
            assertThat(done(pipeline.contains(key(k), k)).flag()).as("key %d", k).isTrue();
        }
        assertThat(done(pipeline.contains(key(applied), applied)).flag()).isFalse();
    }

    @Test
    void afterAFailedPageWriteThePipelineResumesOnceTheDiskTakesWritesAgain() throws Exception {
        Refused refused = fillUntilAWriteFails();
        int i = refused.key();
        Reply r = refused.reply();
        assertThat(r.status()).isEqualTo(Status.READ_ONLY);
        assertThat(r.error()).startsWith("page store write failed: ").contains("No space left on device");
        // still full: the resume attempts (every second, driven by the timer while idle) fail, reads go on
        Thread.sleep(2500);
        assertThat(done(pipeline.put(key(i), i)).status()).isEqualTo(Status.READ_ONLY);
        assertThat(pipeline.readOnlyReason()).startsWith("page store write failed: ");
        assertThat(pipeline.resumes()).isZero();
        for (int k = 0; k < i; k += 7) {
            assertThat(done(pipeline.contains(key(k), k)).flag()).as("key %d", k).isTrue();
        }
        pages.clearFailures(); // space came back
        Await.until(() -> "resumed: " + pipeline.readOnlyReason(), 60, 20, () -> pipeline.readOnlyReason() == null);
        assertThat(pipeline.resumes()).isEqualTo(1);
        assertThat(pipeline.stats().readOnlyReason()).isNull();
        int resumedAt = i;
        for (; i < resumedAt + 3000; i++) {
            Reply r2 = done(pipeline.put(key(i), i));
            assertThat(r2.ok()).as("put %d after the resume: %s", i, r2).isTrue();
        }
        for (int k = 0; k < i; k += 5) {
            assertThat(done(pipeline.contains(key(k), k)).flag()).as("key %d", k).isTrue();
        }
        // a restart (without a final checkpoint: from the resume's checkpoint and the WAL) has everything acknowledged
        pipeline.closeWithoutCheckpoint();
        pipeline = null;
        try (DurableHashDir d = DurableHashDir.open(tmp.resolve("data"), HashDirConfig.defaults(),
                WalOptions.of(KEY_BYTES, Durability.SYNC), walDir)) {
            assertThat(d.recordsReplayed()).as("the WAL after the resume's checkpoint").isLessThan(i);
            for (int k = 0; k < i; k++) {
                assertThat(d.contains(MemorySegment.ofArray(key(k)), k)).as("key %d", k).isTrue();
            }
            assertThat(d.count(MemorySegment.ofArray(key(i)))).isZero();
        }
    }

    /**
     * A fresh store under a pipeline whose hook runs a checkpoint, as the server's maintenance hook
     * runs one (its failure escapes the hook), at the end of the first batch after the returned
     * flag is set; 3000 keys acknowledged.
     */
    private AtomicBoolean startWithACheckpointOnDemandAndFill() throws Exception {
        Path data = tmp.resolve("data");
        PageStore.init(data, StoreOptions.defaults());
        AtomicBoolean checkpoint = new AtomicBoolean();
        HashDir hd = TunedHashDirs.open(data, HashDirConfig.defaults(), 8, pages.wrapper());
        WalWriter wal = WalWriter.open(walDir, WalOptions.of(KEY_BYTES, Durability.SYNC), 1, r -> { });
        java.util.concurrent.atomic.AtomicLong hookSaw = new java.util.concurrent.atomic.AtomicLong();
        pipeline = Pipeline.start(hd, wal, PipelineConfig.defaults().withRingSize(1024), (h, lsn, mutated) -> {
            hookSaw.set(lsn);
            if (checkpoint.getAndSet(false)) {
                try {
                    h.checkpoint(lsn);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        });
        for (int i = 0; i < 3000; i++) {
            assertThat(done(pipeline.put(key(i), i)).ok()).isTrue();
        }
        // the last put may be answered before its batch ends (a commit on the engine thread):
        // the flag must not reach that batch's hook
        Await.until(() -> "the hook after the last put", 60, 1, () -> hookSaw.get() >= 3000);
        return checkpoint;
    }

    /** The read-only reason, once there is one (the hook's failure may follow the answer of the put under it). */
    private String awaitReadOnly() throws InterruptedException {
        String[] reason = new String[1]; // the first one seen: a resume may clear it again
        Await.until(() -> "read-only after the failed checkpoint", 60, 1,
                () -> (reason[0] = pipeline.readOnlyReason()) != null);
        return reason[0];
    }

    @Test
    void aPageAFailedSyncMayHaveLostIsRefusedNeverReadStaleNorCalledCorruption() throws Exception {
        AtomicBoolean checkpoint = startWithACheckpointOnDemandAndFill();
        pages.failNextSyncs(1_000_000); // every sync fails: so do the resume attempts, whose checkpoints sync
        checkpoint.set(true);
        Reply r = done(pipeline.put(key(3000), 3000));
        assertThat(r.ok()).as("applied and in the WAL before the checkpoint after its batch failed: %s", r).isTrue();
        String reason = awaitReadOnly(); // the answer may go out before the hook runs (a commit on the engine thread)
        assertThat(reason).contains("syncing failed").contains("Input/output error");
        assertThat(pages.droppedBySyncFailure).isPositive();
        int lost = 0;
        for (int i = 0; i < 3000; i++) {
            Reply got = done(pipeline.contains(key(i), i));
            if (got.status() == Status.INTERNAL) {
                lost++;
                assertThat(got.error()).startsWith("page row ").contains("was written after the last successful sync "
                        + "and may be lost (syncing failed: ")
                        .endsWith("; the resume (or a restart) recovers it from the WAL");
            } else {
                assertThat(got.ok() && got.flag()).as("key %d: %s (%s)", i, got, pipeline.readOnlyReason()).isTrue();
            }
        }
        System.out.println("reads that met a page the failed sync dropped: " + lost + " of 3000");
        assertThat(pipeline.readOnlyReason()).as("not turned into corruption").startsWith("page store write failed: ");
        assertThat(pipeline.pageStoreFailed()).isTrue();
    }

    /**
     * A resume reopens the file at its last durable checkpoint before it replays the WAL: when the
     * replay then fails, memory lacks acknowledged changes, so reads are refused until a resume
     * completes, never answered from that state ("absent" for an acknowledged key).
     */
    @Test
    void aResumeWhoseWalReplayFailsRefusesReadsUntilOneCompletes() throws Exception {
        AtomicBoolean checkpoint = startWithACheckpointOnDemandAndFill();
        pages.failNextSyncs(1); // the checkpoint's sync fails; the resume's would work
        walDir.failReads(true); // but its replay cannot read the WAL
        checkpoint.set(true);
        assertThat(done(pipeline.put(key(3000), 3000)).ok()).isTrue();
        assertThat(awaitReadOnly()).contains("syncing failed");
        // the resume could not read the WAL
        Await.until(() -> "a resume attempt: " + pipeline.readOnlyReason(), 60, 20,
                () -> pipeline.readOnlyReason().contains("open(mem:/wal/"));
        for (int i = 0; i <= 3000; i++) {
            Reply got = done(pipeline.contains(key(i), i));
            assertThat(got.status()).as("key %d: %s", i, got).isEqualTo(Status.INTERNAL);
            assertThat(got.error()).contains("was reloaded from its last durable checkpoint (LSN 0)")
                    .contains("reads wait for it");
        }
        assertThat(pipeline.resumes()).isZero();
        walDir.failReads(false);
        Await.until(() -> "resumed: " + pipeline.readOnlyReason(), 60, 20, () -> pipeline.readOnlyReason() == null);
        assertThat(pipeline.resumes()).isEqualTo(1);
        for (int i = 0; i <= 3000; i++) {
            Reply got = done(pipeline.contains(key(i), i));
            assertThat(got.ok() && got.flag()).as("key %d: %s", i, got).isTrue();
        }
    }

    @Test
    void aCorruptPageFailsTheReadThatMeetsItAndTurnsThePipelineReadOnly() throws Exception {
        Path data = tmp.resolve("data");
        PageStore.init(data, StoreOptions.defaults());
        long victim = -1;
        try (HashDir hd = TunedHashDirs.open(data, HashDirConfig.defaults(), 8, pages.wrapper())) {
            TunedHashDirs.trackPublishedRows(hd);
            for (int i = 0; i < 3000; i++) {
                hd.put(key(i), i);
            }
            hd.flush();
            long[] rows = TunedHashDirs.publishedRows(hd);
            List<Long> buckets = new ArrayList<>();
            MemorySegment page = Arena.ofAuto().allocate(4096, 4096);
            for (int k = 0; k < rows.length; k += 2) {
                pages.readPage(rows[k], page);
                if (PageLayout.kind(page) == PageKind.BUCKET) {
                    buckets.add(rows[k]);
                }
            }
            victim = buckets.get(buckets.size() / 2);
            pages.flipDurableBit(victim, 1000, 3);
        }
        start(data);
        int internal = 0;
        int answered = 0;
        for (int i = 0; i < 3000; i++) {
            Reply r = done(pipeline.contains(key(i), i));
            if (r.status() == Status.INTERNAL) {
                internal++;
                assertThat(r.error()).contains("corrupt page checksum").contains("page=" + victim);
            } else {
                assertThat(r.ok()).isTrue();
                assertThat(r.flag()).as("key %d", i).isTrue();
                answered++;
            }
        }
        assertThat(internal).as("the keys of the damaged bucket").isPositive();
        assertThat(answered).isGreaterThan(2000);
        assertThat(pipeline.readOnlyReason()).startsWith("corruption detected: corrupt page checksum")
                .endsWith("(read-only until repaired; check the store with hashdir check)");
        assertThat(done(pipeline.put(key(5), 55)).status()).isEqualTo(Status.READ_ONLY);
    }
}
