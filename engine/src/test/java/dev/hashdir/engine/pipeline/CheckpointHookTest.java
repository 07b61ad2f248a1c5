package dev.hashdir.engine.pipeline;

import dev.hashdir.engine.DurableHashDir;
import dev.hashdir.engine.HashDir;
import dev.hashdir.engine.HashDirConfig;
import dev.hashdir.engine.store.StoreOptions;
import dev.hashdir.engine.wal.Durability;
import dev.hashdir.engine.wal.FileWalDirectory;
import dev.hashdir.engine.wal.GatedWalDirectory;
import dev.hashdir.engine.wal.WalOptions;
import dev.hashdir.engine.wal.WalSegmentLayout;
import dev.hashdir.engine.wal.WalWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static dev.hashdir.engine.pipeline.PipelineTest.done;
import static dev.hashdir.engine.pipeline.PipelineTest.key;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The embedded pipeline checkpoints by itself: with the default {@link CheckpointHook} (the
 * server's policy), the durable checkpoint follows the WAL, the WAL segments below it go, and a
 * restart replays only the tail after it.
 */
class CheckpointHookTest {

    private static final int KEY_BYTES = 32;
    private static final WalOptions WAL = WalOptions.of(KEY_BYTES, Durability.SYNC).withSegmentBytes(64 << 10);

    @TempDir
    Path tmp;

    @Test
    void anEmbeddedPipelineCheckpointsByItselfAndARestartReplaysOnlyTheTail() throws Exception {
        Path dir = tmp.resolve("embedded");
        DurableHashDir.create(dir, StoreOptions.defaults(), HashDirConfig.defaults(), WAL).close();
        DurableHashDir d = DurableHashDir.open(dir, HashDirConfig.defaults(), WAL);
        CheckpointHook hook = new CheckpointHook(500, 3_600_000, 16);
        int n = 5000;
        int tail = 100;
        long checkpointLsn;
        Pipeline p = Pipeline.start(d.hashDir(), d.wal(), PipelineConfig.defaults(), hook);
        try {
            assertThat(p.checkpoints()).isSameAs(hook);
            assertThat(firstSegmentLsn(dir)).isEqualTo(1);
            for (int i = 0; i < n; i++) {
                assertThat(done(p.put(key(i), i)).ok()).isTrue();
            }
            // a checkpoint begins once 500 records are not covered; the timer drives it while no request comes
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (hook.checkpointRunning() || hook.checkpointLsn() <= n - 500) {
                assertThat(System.nanoTime()).as("checkpoint LSN " + hook.checkpointLsn()).isLessThan(deadline);
                Thread.sleep(10);
            }
            checkpointLsn = hook.checkpointLsn();
            assertThat(hook.checkpoints()).isPositive();
            done(p.sync()); // the journal deletes the segments below after a commit
            long first = firstSegmentLsn(dir);
            System.out.println("checkpoints " + hook.checkpoints() + ", checkpoint LSN " + checkpointLsn
                    + ", first WAL segment from LSN " + first);
            assertThat(first).as("segments below the checkpoint deleted").isGreaterThan(1)
                    .isLessThanOrEqualTo(checkpointLsn + 1);
            for (int i = n; i < n + tail; i++) { // fewer than the trigger: no checkpoint covers them
                assertThat(done(p.put(key(i), i)).ok()).isTrue();
            }
            assertThat(hook.checkpointLsn()).isEqualTo(checkpointLsn);
        } finally {
            p.closeWithoutCheckpoint(); // as a crash after the last acknowledgement: no final checkpoint
        }
        try (DurableHashDir again = DurableHashDir.open(dir, HashDirConfig.defaults(), WAL)) {
            assertThat(again.hashDir().durableMeta().checkpointLsn()).isEqualTo(checkpointLsn);
            assertThat(again.recordsReplayed()).as("only the tail after the checkpoint")
                    .isEqualTo(n + tail - checkpointLsn).isLessThan(n);
            for (int i = 0; i < n + tail; i++) {
                assertThat(again.contains(MemorySegment.ofArray(key(i)), i)).as("key %d", i).isTrue();
            }
        }
    }

    @Test
    void theDefaultPipelineRunsTheServersCheckpointPolicy() throws Exception {
        Path dir = tmp.resolve("default");
        DurableHashDir.create(dir, StoreOptions.defaults(), HashDirConfig.defaults(), WAL).close();
        DurableHashDir d = DurableHashDir.open(dir, HashDirConfig.defaults(), WAL);
        try (Pipeline p = Pipeline.start(d.hashDir(), d.wal(), PipelineConfig.defaults())) {
            CheckpointHook hook = p.checkpoints();
            assertThat(hook).isNotNull();
            assertThat(hook.checkpointRecords()).isEqualTo(CheckpointHook.DEFAULT_RECORDS).isEqualTo(1_000_000);
            assertThat(hook.checkpointIntervalMillis()).isEqualTo(CheckpointHook.DEFAULT_INTERVAL_MILLIS)
                    .isEqualTo(60_000);
            assertThat(done(p.put(key(1), 1)).ok()).isTrue();
            hook.force();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (hook.checkpointLsn() < 1 || hook.checkpointRunning()) {
                assertThat(System.nanoTime()).as("a forced checkpoint, driven by the timer").isLessThan(deadline);
                Thread.sleep(10);
            }
        }
    }

    /**
     * Under steady load a commit is always in flight, so a batch end where everything applied is
     * acknowledged may never come: a checkpoint must begin anyway, covering what is applied, and
     * write nothing (publish nothing) until that is acknowledged. Here the WAL's forces are held,
     * so nothing after LSN 100 is acknowledged while the checkpoint is asked for.
     */
    @Test
    void aCheckpointBeginsWhileCommitsAreInFlightAndPublishesOnlyWhatIsAcknowledged() throws Exception {
        Path dir = tmp.resolve("held");
        GatedWalDirectory walDir = new GatedWalDirectory(FileWalDirectory.open(dir.resolve("wal")));
        HashDir hd = HashDir.create(dir.resolve("data"), StoreOptions.defaults(), HashDirConfig.defaults());
        WalWriter wal = WalWriter.open(walDir, WalOptions.of(KEY_BYTES, Durability.SYNC), 1, r -> { });
        CheckpointHook hook = new CheckpointHook(1_000_000, 3_600_000, 16);
        // every commit on the journal thread: the engine goes on applying while the force is held
        Pipeline p = Pipeline.start(hd, wal, PipelineConfig.defaults().withInlineCommitEvents(0), hook);
        try {
            for (int i = 0; i < 100; i++) {
                assertThat(done(p.put(key(i), i)).ok()).isTrue();
            }
            walDir.holdForces();
            List<CompletableFuture<Reply>> held = new ArrayList<>();
            held.add(p.put(key(100), 100));
            walDir.awaitForceHeld();
            for (int i = 101; i <= 200; i++) {
                held.add(p.put(key(i), i));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (hook.lastAppliedLsn() < 200) { // all applied (a batch end saw them), none acknowledged
                assertThat(System.nanoTime()).as("the engine applies the held puts").isLessThan(deadline);
                Thread.sleep(1);
            }
            hook.force();
            held.add(p.put(key(201), 201)); // a batch end after the force
            while (!hook.checkpointRunning()) {
                assertThat(System.nanoTime()).as("a checkpoint begins while commits are held").isLessThan(deadline);
                Thread.sleep(5);
            }
            Thread.sleep(300); // ticks and batch ends come; the checkpoint must not go on
            assertThat(p.ackedLsn()).isEqualTo(100);
            assertThat(hook.checkpointLsn()).as("nothing published").isZero();
            assertThat(hd.durableMeta().checkpointLsn()).isZero();
            assertThat(held).noneMatch(CompletableFuture::isDone);

            walDir.releaseForces();
            for (CompletableFuture<Reply> f : held) {
                assertThat(done(f).ok()).isTrue();
            }
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (hook.checkpointRunning() || hook.checkpointLsn() == 0) {
                assertThat(System.nanoTime()).as("the checkpoint completes once its records are durable")
                        .isLessThan(deadline);
                Thread.sleep(5);
            }
            assertThat(hook.checkpointLsn()).as("covers what was applied when it began").isGreaterThanOrEqualTo(200)
                    .isLessThanOrEqualTo(p.ackedLsn());
            assertThat(hd.durableMeta().checkpointLsn()).isEqualTo(hook.checkpointLsn());
        } finally {
            walDir.releaseForces();
            p.close();
        }
    }

    private static long firstSegmentLsn(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir.resolve("wal"))) {
            List<Long> lsns = files.map(f -> WalSegmentLayout.parseFileName(f.getFileName().toString()))
                    .filter(l -> l >= 0).sorted().toList();
            return lsns.getFirst();
        }
    }
}
