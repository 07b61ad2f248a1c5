package dev.hashdir.engine.wal;

import dev.hashdir.engine.wal.FaultyWalDirectory.Fault;
import dev.hashdir.engine.wal.FaultyWalDirectory.SimulatedCrash;
import dev.hashdir.engine.wal.WalTestRecords.Collector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The next segment prepared ahead, off the commit path: used by the roll, waited for, failed, crashed. */
class WalPreparationTest {

    private static final int KEY_BYTES = 32;
    private static final long SEGMENT = 64 << 10;
    private static final MemorySegment KEY = MemorySegment.ofArray(new byte[KEY_BYTES]);

    @TempDir
    Path tmp;

    @Test
    void aRollIntoASegmentPreparedAheadZeroFillsNothingOnTheJournalThread() throws Exception {
        RecordingDirectory dir = new RecordingDirectory(FileWalDirectory.open(tmp.resolve("wal")));
        WalOptions options = WalOptions.of(KEY_BYTES, Durability.SYNC).withSegmentBytes(SEGMENT);
        Thread journal = Thread.currentThread();
        try (WalWriter writer = WalWriter.open(dir, options, 1, r -> { })) {
            assertThat(dir.allocatingThreads).as("an empty WAL's first segment is made at open")
                    .containsExactly(journal.getName());
            String first = writer.currentSegment();
            writer.appendPut(KEY, writer.nextLsn());
            writer.commit();
            assertThat(writer.preparing()).as("no preparation while the segment is under half full").isFalse();
            int commits = 1;
            while (!writer.preparing()) {
                writer.appendPut(KEY, writer.nextLsn());
                writer.commit();
                commits++;
            }
            assertThat(writer.currentSegment()).as("preparing began within the first segment").isEqualTo(first);
            assertThat(commits).as("the preparation began once the segment was half full, not before")
                    .isGreaterThan(2);
            assertThat(writer.awaitPreparation()).isTrue();
            assertThat(dir.allocatingThreads).hasSize(2).last().isNotEqualTo(journal.getName());
            while (writer.currentSegment().equals(first)) {
                writer.appendPut(KEY, writer.nextLsn());
                writer.commit();
            }
            assertThat(writer.rollsIntoPrepared()).isEqualTo(1);
            assertThat(writer.segmentsPreparedOnRoll()).as("only the first, at open").isEqualTo(1);
            assertThat(dir.allocatingThreads).as("the roll zero-filled nothing on the journal thread")
                    .containsOnlyOnce(journal.getName());
            assertThat(writer.preparing()).as("the new segment is under half full: nothing prepared yet").isFalse();
            assertThat(dir.list()).containsExactlyInAnyOrder(first, writer.currentSegment());
        }
        assertThat(dir.list()).as("close leaves no prepared file").doesNotContain(WalSegmentLayout.PREPARING_NAME);
    }

    @Test
    void aRollWaitsForThePreparationUnderWayAndNeverPreparesTwice() throws Exception {
        RecordingDirectory dir = new RecordingDirectory(FileWalDirectory.open(tmp.resolve("wal")));
        WalOptions options = WalOptions.of(KEY_BYTES, Durability.SYNC).withSegmentBytes(SEGMENT);
        long last;
        try (WalWriter writer = WalWriter.open(dir, options, 1, r -> { })) {
            for (int roll = 0; roll < 3; roll++) {
                String current = writer.currentSegment();
                // no waiting for the preparation here: the roll does, whatever its progress
                while (writer.currentSegment().equals(current)) {
                    writer.appendPut(KEY, writer.nextLsn());
                    writer.commit();
                }
            }
            assertThat(writer.rollsIntoPrepared()).isEqualTo(3);
            last = writer.nextLsn() - 1;
        }
        // counted after the close, which waits for the preparation under way
        assertThat(dir.preparingCreates.get())
                .as("the first segment and one for each roll (none for the last one, under half full)").isEqualTo(4);
        Collector replayed = new Collector();
        WalReader.replay(dir, KEY_BYTES, 1, replayed);
        assertThat(replayed.lsns).isEqualTo(LongStream.rangeClosed(1, last).boxed().toList());
    }

    @Test
    void aFailedPreparationFallsBackToPreparingOnTheRoll() throws Exception {
        RecordingDirectory dir = new RecordingDirectory(FileWalDirectory.open(tmp.resolve("wal")));
        WalOptions options = WalOptions.of(KEY_BYTES, Durability.SYNC).withSegmentBytes(SEGMENT);
        long last;
        try (WalWriter writer = WalWriter.open(dir, options, 1, r -> { })) {
            // the open's allocation went through: the next one, the preparation ahead, fails
            dir.failAllocations.set(1);
            String first = writer.currentSegment();
            while (!writer.preparing()) {
                writer.appendPut(KEY, writer.nextLsn());
                writer.commit();
            }
            assertThat(writer.awaitPreparation()).as("the preparation failed").isFalse();
            assertThat(dir.list()).as("its file is deleted").doesNotContain(WalSegmentLayout.PREPARING_NAME);
            while (writer.currentSegment().equals(first)) {
                writer.appendPut(KEY, writer.nextLsn());
                writer.commit();
            }
            assertThat(writer.rollsIntoPrepared()).isZero();
            assertThat(writer.segmentsPreparedOnRoll()).isEqualTo(2);
            assertThat(dir.allocatingThreads.stream().filter(t -> t.equals(Thread.currentThread().getName())))
                    .as("the open and the roll prepared inline").hasSize(2);
            last = writer.nextLsn() - 1;
        }
        Collector replayed = new Collector();
        WalReader.replay(dir, KEY_BYTES, 1, replayed);
        assertThat(replayed.lsns).isEqualTo(LongStream.rangeClosed(1, last).boxed().toList());
    }

    @Test
    void aCrashWhilePreparingAheadLosesNothingAndOpeningDeletesTheHalfPreparedFile() {
        WalOptions options = WalOptions.of(KEY_BYTES, Durability.SYNC).withSegmentBytes(1024);
        int crashesInPreparation = 0;
        for (Fault fault : Fault.values()) {
            for (int n = 1; n <= 8; n++) {
                FaultyWalDirectory dir = new FaultyWalDirectory(n * 31L + fault.ordinal(), 4096);
                WalWriter writer = WalWriter.open(dir, options, 1, r -> { });
                assertThat(writer.preparing()).isFalse();
                // the first commit prepares the next segment after its records are durable
                dir.armCrash(n);
                long acknowledged = writer.durableLsn();
                try {
                    while (!writer.preparing()) {
                        writer.appendPut(KEY, writer.nextLsn());
                        acknowledged = writer.commit();
                    }
                    continue;
                } catch (SimulatedCrash crash) {
                    if (crash.getMessage().contains(WalSegmentLayout.PREPARING_NAME)) {
                        crashesInPreparation++;
                    }
                }
                String what = fault + ", crash at call " + n;
                dir.crash(WalTestRecords.seeded(n), fault);
                Collector replayed = new Collector();
                WalWriter reopened = WalWriter.open(dir, options, 1, replayed);
                assertThat(replayed.lsns.size()).as(what).isGreaterThanOrEqualTo((int) acknowledged);
                assertThat(replayed.lsns).as(what)
                        .isEqualTo(LongStream.rangeClosed(1, replayed.lsns.size()).boxed().toList());
                assertThat(dir.exists(WalSegmentLayout.PREPARING_NAME)).as(what).isFalse();
                String current = reopened.currentSegment();
                while (reopened.currentSegment().equals(current)) {
                    reopened.appendPut(KEY, reopened.nextLsn());
                    reopened.commit();
                }
                long last = reopened.nextLsn() - 1;
                reopened.close();
                Collector all = new Collector();
                WalReader.replay(dir, KEY_BYTES, 1, all);
                assertThat(all.lsns).as(what).isEqualTo(LongStream.rangeClosed(1, last).boxed().toList());
            }
        }
        assertThat(crashesInPreparation).as("crashes that hit the preparation").isGreaterThanOrEqualTo(3 * Fault.values().length);
    }

    /** Real files, recording which threads zero-fill, counting preparations, failing allocations on demand. */
    private static final class RecordingDirectory extends ForwardingWalDirectory {

        final ConcurrentLinkedQueue<String> allocatingThreads = new ConcurrentLinkedQueue<>();
        final AtomicInteger preparingCreates = new AtomicInteger();
        final AtomicInteger failAllocations = new AtomicInteger();

        RecordingDirectory(FileWalDirectory inner) {
            super(inner);
        }

        @Override
        public WalFile create(String name) throws IOException {
            if (name.equals(WalSegmentLayout.PREPARING_NAME)) {
                preparingCreates.incrementAndGet();
            }
            return new Recording(inner.create(name));
        }

        @Override
        public boolean preparesOnAnyThread() {
            return true;
        }

        private final class Recording extends ForwardingWalDirectory.File {

            Recording(WalFile file) {
                super(file);
            }

            @Override
            public void allocate(long size) throws IOException {
                allocatingThreads.add(Thread.currentThread().getName());
                if (failAllocations.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                    throw new IOException("No space left on device (test)");
                }
                file.allocate(size);
            }
        }
    }
}
