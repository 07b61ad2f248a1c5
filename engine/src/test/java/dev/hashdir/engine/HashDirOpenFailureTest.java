package dev.hashdir.engine;

import dev.hashdir.engine.store.ForwardingPageIo;
import dev.hashdir.engine.store.PageIo;
import dev.hashdir.engine.store.StoreOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * An open that fails while the page cache reads the page map (an I/O error or corruption under
 * it) releases everything it had taken: the cache's frame mapping, the map's memory, the file and
 * its writer lock. Before, every failed open (and every failed reload of a resume attempt, once a
 * second) left the frames' mapping behind: 1 GiB of address space per try with this cache.
 */
class HashDirOpenFailureTest {

    private static final long CACHE_BYTES = 1L << 30;
    private static final int TRIES = 16;

    @TempDir
    Path dir;

    @Test
    void aFailedOpenLeaksNoMappingAndKeepsNoLock() throws Exception {
        byte[] key = new byte[32];
        MemorySegment k = Arena.ofAuto().allocate(32);
        try (HashDir hd = HashDir.create(dir, new StoreOptions(32, 4096), HashDirConfig.defaults())) {
            for (int i = 0; i < 20_000; i++) {
                key[0] = (byte) i;
                key[1] = (byte) (i >>> 8);
                key[31] = 7;
                MemorySegment.copy(key, 0, k, ValueLayout.JAVA_BYTE, 0, 32);
                hd.put(k, i);
            }
            hd.checkpoint(1);
        }
        HashDirConfig big = HashDirConfig.defaults().withCacheBytes(CACHE_BYTES);
        HashDir.Tuning failingReads = HashDir.Tuning.withIo(FailingReads::new);

        long before = virtualBytes();
        for (int t = 0; t < TRIES; t++) {
            assertThatThrownBy(() -> HashDir.open(dir, big, failingReads))
                    .as("try %d", t).hasMessageContaining("injected read failure");
        }
        long grown = virtualBytes() - before;
        assertThat(grown).as("address space grown by %d failed opens of a %d-byte cache", TRIES, CACHE_BYTES)
                .isLessThan(CACHE_BYTES * 2);

        try (HashDir hd = HashDir.open(dir, HashDirConfig.defaults())) {
            assertThat(hd.stats().keys()).as("the lock was released and the store is intact").isEqualTo(20_000);
        }
    }

    /** VmSize of this process, from /proc/self/status. */
    private static long virtualBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmSize:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmSize in /proc/self/status");
    }

    /** The store's I/O with every page read failing (the meta slots still read). */
    private record FailingReads(PageIo io) implements ForwardingPageIo {

        @Override
        public void readPage(long row, MemorySegment dst) {
            throw new IllegalStateException("injected read failure: row " + row);
        }
    }
}
