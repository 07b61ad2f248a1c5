package dev.hashdir.engine;

import dev.hashdir.engine.store.StoreOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * get, put (new key, existing key, new value), contains and count with {@link MemorySegment} keys
 * allocate nothing once warm (the JMH -prof gc run measures it properly; this catches regressions).
 */
class HashDirAllocationTest {

    private static final int KEYS = 20_000;

    @TempDir
    Path dir;

    @Test
    void hotPathsAllocateNothing() throws Exception {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (Arena arena = Arena.ofConfined();
             HashDir hd = HashDir.create(dir, StoreOptions.defaults(), HashDirConfig.defaults())) {
            MemorySegment keys = arena.allocate(32L * KEYS * 2);
            SplittableRandom random = new SplittableRandom(5);
            for (long off = 0; off < keys.byteSize(); off += 8) {
                keys.set(ValueLayout.JAVA_LONG_UNALIGNED, off, random.nextLong());
            }
            MemorySegment[] key = new MemorySegment[KEYS * 2];
            for (int i = 0; i < key.length; i++) {
                key[i] = keys.asSlice(32L * i, 32);
            }
            GetResult got = new GetResult(16);
            for (int i = 0; i < KEYS; i++) {
                hd.put(key[i], i);
            }
            long[] sink = new long[1];
            for (int round = 0; round < 5; round++) {
                mix(hd, key, 0, got, sink); // warm up
            }
            long before = threads.getCurrentThreadAllocatedBytes();
            mix(hd, key, 0, got, sink);
            long reads = threads.getCurrentThreadAllocatedBytes() - before;
            assertThat(reads).as("bytes allocated by %d gets, contains, counts and puts of present keys", 4 * KEYS)
                    .isLessThan(1024);
            assertThat(sink[0]).isPositive();

            // the puts below split buckets: splits allocate nothing, but a directory doubling allocates
            // its new chunks (8 bytes an entry), so that much is allowed
            long directoryBefore = hd.directory().size();
            before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < KEYS; i++) {
                hd.put(key[i], i + 1_000_000L); // a second value: the inline record grows or moves
            }
            long grows = threads.getCurrentThreadAllocatedBytes() - before;
            assertThat(grows).as("bytes allocated by %d puts growing inline sets, directory %d -> %d entries", KEYS,
                    directoryBefore, hd.directory().size()).isLessThan(8L * hd.directory().size() + 1024);

            before = threads.getCurrentThreadAllocatedBytes();
            for (int i = KEYS; i < 2 * KEYS; i++) {
                hd.put(key[i], i);
            }
            long inserts = threads.getCurrentThreadAllocatedBytes() - before;
            assertThat(inserts).as("bytes allocated by %d puts of new keys", KEYS)
                    .isLessThan(8L * 2 * hd.directory().size() + 1024);
        }
    }

    /**
     * A growing store whose pages fit the cache allocates nothing per put but directory doublings:
     * page ids are sized for the cache's frames up front (the page map and the id-to-frame array
     * once grew by doubling as ids were handed out, about 2.6 bytes a put in the benchmark).
     */
    @Test
    void growingWithinTheCacheAllocatesOnlyDirectoryDoublings() throws Exception {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (Arena arena = Arena.ofConfined();
             HashDir hd = HashDir.create(dir, StoreOptions.defaults(), HashDirConfig.defaults())) {
            MemorySegment key = arena.allocate(32);
            SplittableRandom random = new SplittableRandom(11);
            int chunk = 10_000;
            int quiet = 0;
            for (int c = 0; c < 40; c++) {
                long directoryBefore = hd.directory().size();
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < chunk; i++) {
                    for (long off = 0; off < 32; off += 8) {
                        key.set(ValueLayout.JAVA_LONG_UNALIGNED, off, random.nextLong());
                    }
                    hd.put(key, i);
                }
                long allocated = threads.getCurrentThreadAllocatedBytes() - before;
                if (c >= 2 && hd.directory().size() == directoryBefore) {
                    quiet++;
                    assertThat(allocated).as("bytes allocated by puts %d..%d (%d pages in use, directory %d entries)",
                            c * chunk, (c + 1) * chunk, hd.stats().pages(), directoryBefore).isLessThan(1024);
                }
            }
            assertThat(hd.stats().pages()).as("the store outgrew the old initial page map (4096 ids)").isGreaterThan(4096)
                    .isLessThan(hd.cache().frames());
            assertThat(quiet).as("chunks without a directory doubling").isGreaterThan(20);
        }
    }

    private static void mix(HashDir hd, MemorySegment[] key, int from, GetResult got, long[] sink) {
        for (int i = 0; i < KEYS; i++) {
            MemorySegment k = key[from + i];
            hd.get(k, false, 0, 16, got);
            sink[0] += got.size();
            sink[0] += hd.contains(k, i) ? 1 : 0;
            sink[0] += hd.count(k);
            sink[0] += hd.put(k, i); // present: no change
        }
    }
}
