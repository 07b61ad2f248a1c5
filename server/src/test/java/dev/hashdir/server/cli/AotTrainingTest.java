package dev.hashdir.server.cli;

import dev.hashdir.engine.DurableHashDir;
import dev.hashdir.engine.HashDirConfig;
import dev.hashdir.engine.wal.Durability;
import dev.hashdir.engine.wal.WalOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The launcher's AOT training run does what it claims: a recovery that replays, then a clean stop. */
class AotTrainingTest {

    @TempDir
    Path dir;

    @Test
    void theTrainingReplaysItsWalServesAndStopsCleanly() throws Exception {
        Path data = dir.resolve("data");
        int records = 20_000;
        long replayed = AotTraining.run(data, records, 500);
        assertThat(replayed).as("every record written to the WAL is replayed").isEqualTo(records);
        try (DurableHashDir d = DurableHashDir.open(data, HashDirConfig.defaults(), WalOptions.of(32, Durability.NONE))) {
            assertThat(d.recordsReplayed()).as("the final checkpoint of the clean stop covers everything").isZero();
            // PUT_MANY and PUT records add a key each; REMOVE and DELETE (2 in 64) name keys that do not exist
            assertThat(d.hashDir().stats().keys()).isGreaterThanOrEqualTo(records - 2L * (records / 64 + 1));
        }
    }
}
