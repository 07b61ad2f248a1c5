package dev.hashdir.engine.wal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A rough replay throughput figure for the log (not an assertion: timing belongs in bench/):
 * {@value #RECORDS} PUT records of 32-byte keys in real files, replayed three times, best run
 * printed with every run. The consumer reads each record's key and value, as the engine's replay will.
 */
class WalReplayThroughputTest {

    private static final int RECORDS = 1_000_000;
    private static final int KEY_BYTES = 32;

    @TempDir
    Path tmp;

    @Test
    void replaysAMillionRecordsAndReportsTheRate() throws Exception {
        FileWalDirectory dir = FileWalDirectory.open(tmp.resolve("wal"));
        WalOptions options = WalOptions.of(KEY_BYTES, Durability.NONE).withSegmentBytes(16 << 20);
        byte[] keyBytes = new byte[KEY_BYTES];
        MemorySegment key = MemorySegment.ofArray(keyBytes);
        long writeStart = System.nanoTime();
        try (WalWriter writer = WalWriter.open(dir, options, 1, r -> { })) {
            for (int i = 1; i <= RECORDS; i++) {
                keyBytes[0] = (byte) i;
                writer.appendPut(key, i);
                if (i % 1000 == 0) {
                    writer.commit();
                }
            }
        }
        long writeNanos = System.nanoTime() - writeStart;
        long best = Long.MAX_VALUE;
        long[] sum = new long[1];
        StringBuilder runs = new StringBuilder();
        for (int run = 0; run < 3; run++) {
            sum[0] = 0;
            long start = System.nanoTime();
            WalReplayResult r = WalReader.replay(dir, KEY_BYTES, 1, rec -> {
                sum[0] += rec.value(0) + rec.segment().get(java.lang.foreign.ValueLayout.JAVA_BYTE, rec.keyOffset());
            });
            long nanos = System.nanoTime() - start;
            runs.append(runs.isEmpty() ? "" : ", ").append(nanos / 1_000_000).append(" ms");
            best = Math.min(best, nanos);
            assertThat(r.lastLsn()).isEqualTo(RECORDS);
        }
        long bytes = (long) RECORDS * (WalRecordLayout.HEADER_BYTES + KEY_BYTES + 8);
        System.out.printf("WAL write (NONE, commit per 1000): %d records, %.1f MB in %d ms = %.2f M records/s%n",
                RECORDS, bytes / 1e6, writeNanos / 1_000_000, RECORDS * 1e3 / writeNanos);
        System.out.printf("WAL replay (page cache; runs %s): %d records, %.1f MB, best %.2f M records/s, %.0f MB/s%n",
                runs, RECORDS, bytes / 1e6, RECORDS * 1e3 / best, bytes * 1e3 / best);
        assertThat(sum[0]).isNotZero();
    }
}
