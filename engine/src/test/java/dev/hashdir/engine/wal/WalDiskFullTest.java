package dev.hashdir.engine.wal;

import dev.hashdir.bindings.libc.ErrnoException;
import dev.hashdir.engine.wal.FaultyWalDirectory.Fault;
import dev.hashdir.engine.wal.WalTestRecords.Collector;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** A full disk and failing forces: clear errors, nothing acknowledged lost, writing resumes. */
class WalDiskFullTest {

    private static final int KEY_BYTES = 32;
    private static final String FIRST = "00000000000000000001.wal";
    private final MemorySegment key = MemorySegment.ofArray(new byte[KEY_BYTES]);
    private final FaultyWalDirectory dir = new FaultyWalDirectory(21, 4096);

    @Test
    void aPreallocatedSegmentTakesCommitsOnAFullDisk() {
        WalWriter writer = WalWriter.open(dir, WalOptions.of(KEY_BYTES, Durability.SYNC), 1, r -> { });
        assertThat(dir.size(FIRST)).as("allocated up front").isEqualTo(WalOptions.DEFAULT_SEGMENT_BYTES);
        dir.setSpaceLimit(dir.usedBytes());
        for (int i = 1; i <= 1000; i++) {
            writer.appendPut(key, i);
        }
        assertThat(writer.commit()).isEqualTo(1000);
        dir.crash(WalTestRecords.seeded(4), Fault.DROP_UNSYNCED);
        assertThat(WalReader.replay(dir, KEY_BYTES, 1, r -> { }).lastLsn()).isEqualTo(1000);
    }

    @Test
    void aFullDiskFailsTheCommitClearlyLosesNothingAndWritingResumes() {
        WalWriter first = WalWriter.open(dir, WalOptions.of(KEY_BYTES, Durability.SYNC), 1, r -> { });
        for (int i = 1; i <= 10; i++) {
            first.appendPut(key, i);
        }
        assertThat(first.commit()).isEqualTo(10);
        // after a crash the last segment is cut to its records and grows by appends until the next roll
        dir.crash(WalTestRecords.seeded(5), Fault.KEEP_ALL);
        WalWriter writer = WalWriter.open(dir, WalOptions.of(KEY_BYTES, Durability.SYNC), 1, r -> { });
        long goodEnd = dir.size(FIRST);
        assertThat(goodEnd).isEqualTo(WalSegmentLayout.HEADER_BYTES + 10L * (WalRecordLayout.HEADER_BYTES + KEY_BYTES + 8));
        dir.setSpaceLimit(dir.usedBytes() + 100);
        for (int i = 11; i <= 20; i++) {
            writer.appendPut(key, i);
        }
        WalIoException full = catchThrowableOfType(WalIoException.class, writer::commit);
        assertThat(full.isDiskFull()).isTrue();
        assertThat(full.errno()).isEqualTo(ErrnoException.ENOSPC);
        assertThat(full).hasMessageStartingWith("WAL disk full: operation=write, file=mem:/wal/" + FIRST
                + ", position=" + goodEnd + ", errno=28");
        assertThat(dir.size(FIRST)).as("the failed write left a partial batch").isGreaterThan(goodEnd);
        assertThat(writer.durableLsn()).isEqualTo(10);
        assertThat(writer.writtenLsn()).isEqualTo(10);

        writer.appendPut(key, 21);
        assertThatThrownBy(writer::commit).isInstanceOf(WalIoException.class).hasMessageContaining("errno=28");

        dir.clearSpaceLimit();
        assertThat(writer.commit()).isEqualTo(21);
        assertThat(dir.size(FIRST)).as("the partial batch was cut away before the retry")
                .isEqualTo(goodEnd + 11L * (WalRecordLayout.HEADER_BYTES + KEY_BYTES + 8));
        dir.crash(WalTestRecords.seeded(1), Fault.DROP_UNSYNCED);
        Collector replayed = new Collector();
        WalReader.replay(dir, KEY_BYTES, 1, replayed);
        assertThat(replayed.records).extracting(r -> r.values().getFirst())
                .isEqualTo(LongStream.rangeClosed(1, 21).boxed().toList());
    }

    @Test
    void aFullDiskWhileRollingLeavesNoHalfSegmentAndTheRollIsRetried() {
        WalOptions options = WalOptions.of(KEY_BYTES, Durability.SYNC).withSegmentBytes(1024);
        WalWriter writer = WalWriter.open(dir, options, 1, r -> { });
        for (int i = 1; i <= 15; i++) {
            writer.appendPut(key, i);
        }
        // the records overwrite the preallocated segment; the preparation ahead (after the commit) fails
        dir.setSpaceLimit(dir.usedBytes() + 600);
        writer.commit();
        assertThat(writer.preparing()).isTrue();
        assertThat(writer.awaitPreparation()).as("the preparation ahead failed").isFalse();
        assertThat(dir.exists(WalSegmentLayout.PREPARING_NAME)).isFalse();
        writer.appendPut(key, 16);
        String next = WalSegmentLayout.fileName(16);
        assertThatThrownBy(writer::commit).isInstanceOf(WalIoException.class)
                .hasMessageStartingWith("WAL disk full: operation=allocate, file=mem:/wal/"
                        + WalSegmentLayout.PREPARING_NAME + ", position=1024")
                .satisfies(e -> assertThat(e.getCause().getSuppressed()).as("the preparation ahead's failure")
                        .hasSize(1));
        assertThat(dir.exists(next)).as("the half-created segment is deleted").isFalse();
        assertThat(dir.exists(WalSegmentLayout.PREPARING_NAME)).isFalse();
        assertThat(writer.currentSegment()).isEqualTo(FIRST);

        dir.clearSpaceLimit();
        assertThat(writer.commit()).isEqualTo(16);
        assertThat(writer.currentSegment()).isEqualTo(next);
        assertThat(writer.rollsIntoPrepared()).isZero();
        assertThat(writer.segmentsPreparedOnRoll()).as("the first segment, the failed roll, its retry").isEqualTo(3);
        dir.crash(WalTestRecords.seeded(2), Fault.DROP_UNSYNCED);
        Collector replayed = new Collector();
        WalReader.replay(dir, KEY_BYTES, 1, replayed);
        assertThat(replayed.lsns).isEqualTo(LongStream.rangeClosed(1, 16).boxed().toList());
    }

    @Test
    void aFailedForceCountsNothingAsDurableAndTheRetryRewritesTheBatch() {
        WalWriter writer = WalWriter.open(dir, WalOptions.of(KEY_BYTES, Durability.SYNC), 1, r -> { });
        writer.appendPut(key, 1);
        writer.commit();
        writer.appendPut(key, 2);
        writer.appendPut(key, 3);
        dir.failNextForces(1);
        WalIoException eio = catchThrowableOfType(WalIoException.class, writer::commit);
        assertThat(eio.errno()).isEqualTo(ErrnoException.EIO);
        assertThat(eio.isDiskFull()).isFalse();
        assertThat(eio).hasMessageStartingWith("WAL I/O failed: operation=force, file=mem:/wal/" + FIRST);
        assertThat(writer.durableLsn()).isEqualTo(1);
        assertThat(writer.commit()).isEqualTo(3);
        dir.crash(WalTestRecords.seeded(3), Fault.DROP_UNSYNCED);
        Collector replayed = new Collector();
        WalReader.replay(dir, KEY_BYTES, 1, replayed);
        assertThat(replayed.records).extracting(r -> r.values().getFirst()).containsExactly(1L, 2L, 3L);
    }

    @Test
    void theJdksDiskFullMessageIsRecognized() {
        assertThat(WalIoException.errnoOf(new IOException("No space left on device"))).isEqualTo(ErrnoException.ENOSPC);
        assertThat(WalIoException.errnoOf(new IOException("Disk quota exceeded"))).isEqualTo(ErrnoException.ENOSPC);
        assertThat(WalIoException.errnoOf(new IOException("Input/output error"))).isEqualTo(ErrnoException.EIO);
        assertThat(WalIoException.errnoOf(new IOException("Stale file handle"))).isEqualTo(WalIoException.UNKNOWN_ERRNO);
        WalIoException e = new WalIoException("append", "/data/wal/x.wal", 4096,
                new IOException("No space left on device"));
        assertThat(e).hasMessage("WAL disk full: operation=append, file=/data/wal/x.wal, position=4096, errno=28, "
                + "cause=No space left on device");
        assertThat(e.isDiskFull()).isTrue();
    }
}
