package dev.hashdir.bench.peers;

import dev.hashdir.engine.DurableHashDir;
import dev.hashdir.engine.HashDirConfig;
import dev.hashdir.engine.pipeline.PipelineConfig;
import dev.hashdir.engine.wal.Durability;
import dev.hashdir.engine.wal.WalOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksIterator;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The durable-insert benchmark's self-driven stores do the work they are timed for: every pair
 * they count is in the store afterwards (hashdir: after a reopen, i.e. from the WAL and the
 * checkpoints on disk), and nothing else is.
 */
class DurableStoresTest {

    @TempDir
    Path tmp;

    @Test
    void thePipelineStoreHoldsEveryPairItCountedAfterAReopen() throws Exception {
        int pairs = 25_300; // not a multiple of the batch: the last run is shorter
        int batch = 1_000;
        Path dir = tmp.resolve("pipeline");
        double rate;
        try (PipelineDurable store = new PipelineDurable(dir, batch, 2, PipelineConfig.Wait.PARKING, true, false)) {
            rate = store.run(pairs, batch);
        }
        assertThat(rate).isPositive();
        try (DurableHashDir d = DurableHashDir.open(dir, HashDirConfig.defaults(),
                WalOptions.of(PeerStore.KEY_BYTES, Durability.SYNC)); Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(PeerStore.KEY_BYTES);
            byte[] k = new byte[PeerStore.KEY_BYTES];
            for (long i = 0; i < pairs; i++) {
                PeerKeys.key(PeerKeys.HIT_SEED, i, k);
                MemorySegment.copy(k, 0, key, ValueLayout.JAVA_BYTE, 0, k.length);
                assertThat(d.count(key)).as("values of key %d", i).isEqualTo(1);
                assertThat(d.contains(key, PeerKeys.value(i))).as("pair %d", i).isTrue();
            }
            PeerKeys.key(PeerKeys.HIT_SEED, pairs, k);
            MemorySegment.copy(k, 0, key, ValueLayout.JAVA_BYTE, 0, k.length);
            assertThat(d.count(key)).as("a key never put").isZero();
        }
    }

    @Test
    void theOverlappedStoreHoldsEveryPairItCountedAfterAReopen() throws Exception {
        int pairs = 12_345;
        Path dir = tmp.resolve("overlap");
        try (DurablePutBenchmark.HashDirDurable store = new DurablePutBenchmark.HashDirDurable(dir, true)) {
            assertThat(store.run(pairs, 1_000)).isPositive();
            assertThat(store.db().wal().asyncCommits()).as("the forces ran on the force thread").isGreaterThan(5);
            assertThat(store.db().wal().durableLsn()).as("the clock stopped only after the last force")
                    .isEqualTo(store.db().wal().nextLsn() - 1);
        }
        assertHolds(dir, pairs);
    }

    private static void assertHolds(Path dir, int pairs) throws Exception {
        try (DurableHashDir d = DurableHashDir.open(dir, HashDirConfig.defaults(),
                WalOptions.of(PeerStore.KEY_BYTES, Durability.SYNC)); Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(PeerStore.KEY_BYTES);
            byte[] k = new byte[PeerStore.KEY_BYTES];
            for (long i = 0; i <= pairs; i++) {
                PeerKeys.key(PeerKeys.HIT_SEED, i, k);
                MemorySegment.copy(k, 0, key, ValueLayout.JAVA_BYTE, 0, k.length);
                if (i == pairs) {
                    assertThat(d.count(key)).as("a key never put").isZero();
                } else {
                    assertThat(d.count(key)).as("values of key %d", i).isEqualTo(1);
                    assertThat(d.contains(key, PeerKeys.value(i))).as("pair %d", i).isTrue();
                }
            }
        }
    }

    @Test
    void theConcurrentRocksStoreHoldsEveryPairExactlyOnce() throws Exception {
        int pairs = 10_500;
        Path dir = tmp.resolve("rocks");
        try (RocksConcurrentDurable store = new RocksConcurrentDurable(dir, 3, true)) {
            assertThat(store.run(pairs, 1_000)).isPositive();
        }
        RocksDB.loadLibrary();
        java.util.Set<String> expected = new java.util.HashSet<>();
        byte[] k = new byte[PeerStore.KEY_BYTES];
        for (long i = 0; i < pairs; i++) {
            PeerKeys.key(PeerKeys.HIT_SEED, i, k);
            byte[] pair = java.util.Arrays.copyOf(k, PeerStore.KEY_BYTES + Long.BYTES);
            java.nio.ByteBuffer.wrap(pair, PeerStore.KEY_BYTES, Long.BYTES).putLong(PeerKeys.value(i));
            expected.add(java.util.HexFormat.of().formatHex(pair));
        }
        java.util.Set<String> found = new java.util.HashSet<>();
        try (Options o = new Options(); RocksDB db = RocksDB.openReadOnly(o, dir.toString());
             RocksIterator it = db.newIterator()) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                found.add(java.util.HexFormat.of().formatHex(it.key()));
            }
        }
        assertThat(found).hasSize(pairs).isEqualTo(expected);
    }
}
