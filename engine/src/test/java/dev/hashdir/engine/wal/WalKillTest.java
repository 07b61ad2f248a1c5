package dev.hashdir.engine.wal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.hashdir.engine.store.ChildProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Real files, a real crash: a child JVM commits in SYNC mode and prints every acknowledged LSN;
 * it is killed with SIGKILL at a seeded random moment, twice (the second child recovers what the
 * first left). Replay must hold every printed LSN, each record as written, and at most the one
 * batch that could have been written but not yet printed.
 */
class WalKillTest {

    private static final long SEED = Long.getLong("wal.kill.seed", 4242L);

    @TempDir
    Path tmp;

    @Test
    void everyAcknowledgedRecordSurvivesSigkill() throws Exception {
        Path wal = tmp.resolve("wal");
        Random rnd = WalTestRecords.seeded(SEED);
        long next = 1;
        for (int round = 0; round < 2; round++) {
            long delayMs = 400 + rnd.nextInt(800);
            long acked = runAndKill(wal, next, delayMs);
            List<Long> values = new ArrayList<>();
            List<String> keys = new ArrayList<>();
            WalReplayResult r = WalReader.replay(FileWalDirectory.open(wal), WalCrashingWriter.KEY_BYTES, 1, rec -> {
                assertThat(rec.lsn()).isEqualTo(values.size() + 1);
                values.add(rec.value(0));
                keys.add(HexFormat.of().formatHex(rec.key().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)));
            });
            System.out.printf("kill round %d (seed %d): killed after %d ms, last acknowledged LSN %d, replayed %d, "
                    + "tail %s%n", round, SEED, delayMs, acked, r.lastLsn(), r.tail());
            assertThat(acked).as("the child acknowledged commits before it was killed").isGreaterThan(next);
            assertThat(r.lastLsn()).as("every acknowledged LSN survives").isGreaterThanOrEqualTo(acked);
            assertThat(r.lastLsn()).as("nothing beyond the batch in flight")
                    .isLessThanOrEqualTo(acked + WalCrashingWriter.MAX_BATCH);
            for (int i = 0; i < values.size(); i++) {
                long lsn = i + 1;
                assertThat(values.get(i)).as("value of %d", lsn).isEqualTo(WalCrashingWriter.value(lsn));
                assertThat(keys.get(i)).as("key of %d", lsn).isEqualTo(
                        HexFormat.of().formatHex(WalCrashingWriter.key(lsn).toArray(
                                java.lang.foreign.ValueLayout.JAVA_BYTE)));
            }
            next = r.lastLsn() + 1;
        }
    }

    /** Starts the child, lets it commit for {@code delayMs}, kills it; returns the last LSN it printed. */
    private static long runAndKill(Path wal, long expectedNext, long delayMs) throws Exception {
        List<String> lines;
        try (ChildProcess child = ChildProcess.java(WalCrashingWriter.class, wal.toString())) {
            assertThat(child.awaitLine("ready ", Duration.ofSeconds(20))).isEqualTo("ready " + expectedNext);
            Thread.sleep(delayMs);
            child.kill();
            lines = child.lines();
        }
        long acked = 0;
        for (String line : lines) {
            if (line.startsWith("acked ")) {
                acked = Math.max(acked, Long.parseLong(line.substring(6)));
            } else if (!line.startsWith("ready ")) {
                throw new AssertionError("unexpected child output: " + line + "\nall: " + lines);
            }
        }
        return acked;
    }
}
