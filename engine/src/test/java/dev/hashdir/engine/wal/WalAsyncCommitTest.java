package dev.hashdir.engine.wal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Overlapped commits ({@link WalWriter#commitAsync()}): the force runs on the writer's force
 * thread while the caller appends the next batch; nothing counts as durable before the force has
 * returned and been awaited, a failed force acknowledges nothing and its records are written again,
 * and what was committed replays in order, across rolls.
 */
class WalAsyncCommitTest {

    private static final int KEY_BYTES = 32;
    private static final long SEGMENT = 64 << 10;

    @TempDir
    Path tmp;

    private static MemorySegment key(long i) {
        byte[] k = new byte[KEY_BYTES];
        for (int b = 0; b < Long.BYTES; b++) {
            k[b] = (byte) (i >>> (8 * b));
        }
        return MemorySegment.ofArray(k);
    }

    /** Appends PUT(key(v), v) for v in [from, to). */
    private static void append(WalWriter w, long from, long to) {
        for (long v = from; v < to; v++) {
            assertThat(w.appendPut(key(v), v)).isEqualTo(v);
        }
    }

    /** The values of the PUT records replay returns, in order. */
    private static List<Long> replayed(WalDirectory dir) {
        List<Long> values = new ArrayList<>();
        WalReader.replay(dir, KEY_BYTES, 1, r -> {
            assertThat(r.type()).isEqualTo(WalRecordType.PUT);
            values.add(r.value(0));
        });
        return values;
    }

    private static List<Long> range(long from, long to) {
        List<Long> l = new ArrayList<>();
        for (long v = from; v < to; v++) {
            l.add(v);
        }
        return l;
    }

    @Test
    void anOverlappedCommitIsDurableOnlyOnceItsForceReturnedWhileTheNextBatchIsAppended() throws Exception {
        GatedWalDirectory dir = new GatedWalDirectory(FileWalDirectory.open(tmp.resolve("wal")));
        WalOptions options = WalOptions.of(KEY_BYTES, Durability.SYNC).withSegmentBytes(SEGMENT);
        try (WalWriter w = WalWriter.open(dir, options, 1, r -> { })) {
            append(w, 1, 101);
            w.commit();
            assertThat(w.durableLsn()).isEqualTo(100);
            dir.holdForces();
            append(w, 101, 201);
            assertThat(w.commitAsync()).as("returns what was durable before it").isEqualTo(100);
            dir.awaitForceHeld(); // the force is on the force thread, held at the gate
            assertThat(w.durableLsn()).as("nothing of the batch is durable while its force is held").isEqualTo(100);
            assertThat(w.writtenLsn()).isEqualTo(200);
            append(w, 201, 251); // the caller goes on while the disk works
            CompletableFuture<Long> awaited = CompletableFuture.supplyAsync(w::awaitForce);
            Thread.sleep(50);
            assertThat(awaited).as("awaitForce waits for the held force").isNotDone();
            dir.releaseForces();
            assertThat(awaited.get(10, TimeUnit.SECONDS)).isEqualTo(200);
            assertThat(w.durableLsn()).as("the records appended after the commit are not durable").isEqualTo(200);
            assertThat(w.asyncCommits()).isEqualTo(1);
            assertThat(w.commitAsync()).isEqualTo(200);
            assertThat(w.awaitForce()).isEqualTo(250);
            assertThat(w.awaitForce()).as("nothing in flight: returns at once").isEqualTo(250);
        }
        assertThat(replayed(dir)).isEqualTo(range(1, 251));
    }

    @Test
    void aFailedOverlappedForceAcknowledgesNothingAndTheNextCommitWritesItsRecordsAgainOnce() throws Exception {
        GatedWalDirectory dir = new GatedWalDirectory(FileWalDirectory.open(tmp.resolve("wal")));
        WalOptions options = WalOptions.of(KEY_BYTES, Durability.SYNC).withSegmentBytes(SEGMENT);
        try (WalWriter w = WalWriter.open(dir, options, 1, r -> { })) {
            append(w, 1, 51);
            w.commitAsync();
            assertThat(w.awaitForce()).isEqualTo(50);
            dir.failForces(true);
            append(w, 51, 101);
            w.commitAsync();
            append(w, 101, 121);
            assertThatThrownBy(w::commitAsync).as("the next call that waits reports the failed force")
                    .isInstanceOf(WalIoException.class).hasMessageContaining("force");
            assertThat(w.durableLsn()).as("the failed force made nothing durable").isEqualTo(50);
            assertThat(w.awaitForce()).as("a failure is reported once").isEqualTo(50);
            dir.failForces(false);
            assertThat(w.commit()).as("the retry writes and forces every buffered record").isEqualTo(120);
        }
        assertThat(replayed(dir)).as("each record once, in order").isEqualTo(range(1, 121));
    }

    /** Fails the next {@link #failNext} forces of segment files, counting each failure. */
    private static final class FailingForces extends ForwardingWalDirectory {
        final AtomicInteger failNext = new AtomicInteger();
        final AtomicInteger failed = new AtomicInteger();

        FailingForces(WalDirectory inner) {
            super(inner);
        }

        private WalFile wrap(WalFile f) {
            return new File(f) {
                @Override
                public void force() throws IOException {
                    if (failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                        failed.incrementAndGet();
                        throw new IOException("Input/output error (injected by the test)");
                    }
                    file.force();
                }
            };
        }

        @Override
        public WalFile create(String name) throws IOException {
            return wrap(inner.create(name));
        }

        @Override
        public WalFile openForWrite(String name) throws IOException {
            return wrap(inner.openForWrite(name));
        }
    }

    @Test
    void aCloseAfterAFailedOverlappedForceStillMakesEveryRecordDurable() throws Exception {
        FailingForces dir = new FailingForces(FileWalDirectory.open(tmp.resolve("wal")));
        WalOptions options = WalOptions.of(KEY_BYTES, Durability.SYNC).withSegmentBytes(SEGMENT);
        WalWriter w = WalWriter.open(dir, options, 1, r -> { });
        append(w, 1, 31);
        dir.failNext.set(1);
        assertThat(w.commitAsync()).isZero();
        append(w, 31, 41);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (dir.failed.get() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertThat(dir.failed.get()).as("the overlapped force failed").isEqualTo(1);
        assertThat(w.durableLsn()).isZero();
        w.close(); // takes the failure, then writes and forces every buffered record
        assertThat(replayed(dir)).isEqualTo(range(1, 41));
    }

    @Test
    void overlappedCommitsAcrossManyRollsReplayEveryRecordInOrder() throws Exception {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        WalDirectory dir = FileWalDirectory.open(tmp.resolve("wal"));
        WalOptions options = WalOptions.of(KEY_BYTES, Durability.SYNC).withSegmentBytes(SEGMENT);
        long next = 1;
        long acknowledged = 0;
        try (WalWriter w = WalWriter.open(dir, options, 1, r -> { })) {
            for (int batch = 0; batch < 200; batch++) {
                int n = 1 + rnd.nextInt(300);
                append(w, next, next + n);
                next += n;
                long durable = w.commitAsync();
                assertThat(durable).as("seed %d: durable never goes back", seed).isGreaterThanOrEqualTo(acknowledged);
                assertThat(durable).as("seed %d: the batch just committed is not durable yet", seed).isLessThan(next - 1);
                acknowledged = durable;
                if (rnd.nextInt(10) == 0) {
                    acknowledged = w.awaitForce();
                    assertThat(acknowledged).as("seed %d", seed).isEqualTo(next - 1);
                }
            }
            assertThat(w.awaitForce()).isEqualTo(next - 1);
            assertThat(WalReader.listSegments(dir)).as("seed %d: the batches rolled over several segments", seed)
                    .hasSizeGreaterThan(3);
        }
        assertThat(replayed(dir)).as("seed %d", seed).isEqualTo(range(1, next));
    }

    @Test
    void overALayerThatUsesOneThreadAnOverlappedCommitIsAPlainCommit() throws Exception {
        FaultyWalDirectory dir = new FaultyWalDirectory(1, 4096);
        WalOptions options = WalOptions.of(KEY_BYTES, Durability.SYNC).withSegmentBytes(SEGMENT);
        try (WalWriter w = WalWriter.open(dir, options, 1, r -> { })) {
            append(w, 1, 11);
            assertThat(w.commitAsync()).as("forced before it returns").isEqualTo(10);
            assertThat(w.asyncCommits()).isZero();
        }
    }
}
