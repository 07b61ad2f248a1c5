package dev.hashdir.engine;

import dev.hashdir.engine.store.StoreOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link HashDir#bucketPlace}: one number per bucket, the primary page's row once written, its id before. */
class HashDirBucketPlaceTest {

    private static final long SEED = Long.getLong("hashdir.place.seed", 31L);
    private static final int KEYS = 30_000;

    @TempDir
    Path dir;

    @Test
    void keysOfOneBucketShareAPlaceAndBucketsDiffer() throws Exception {
        SplittableRandom random = new SplittableRandom(SEED);
        try (Arena arena = Arena.ofConfined();
             HashDir hd = HashDir.create(dir, StoreOptions.defaults(), HashDirConfig.defaults())) {
            MemorySegment keys = arena.allocate(32L * KEYS);
            for (long off = 0; off < keys.byteSize(); off += 8) {
                keys.set(ValueLayout.JAVA_LONG_UNALIGNED, off, random.nextLong());
            }
            for (int i = 0; i < KEYS; i++) {
                hd.put(keys.asSlice(32L * i, 32), i);
            }
            check(hd, keys, false);
            hd.checkpoint(1); // every page written: places are rows now
            check(hd, keys, true);
        }
    }

    private static void check(HashDir hd, MemorySegment keys, boolean written) {
        Map<Long, Long> placeOfBucket = new HashMap<>();
        Map<Long, Long> bucketOfPlace = new HashMap<>();
        for (int i = 0; i < KEYS; i++) {
            long bucket = hd.index().bucketOf(keys, 32L * i);
            long place = hd.bucketPlace(keys, 32L * i);
            long row = hd.cache().rowOf(bucket);
            assertThat(place).as("key %d (seed %d)", i, SEED).isEqualTo(row != 0 ? row : bucket);
            if (written) {
                assertThat(row).as("key %d's bucket was checkpointed (seed %d)", i, SEED).isPositive();
            }
            assertThat(placeOfBucket.computeIfAbsent(bucket, b -> place)).isEqualTo(place);
            assertThat(bucketOfPlace.computeIfAbsent(place, p -> bucket)).as("one place, one bucket").isEqualTo(bucket);
        }
        assertThat(placeOfBucket).as("the keys span many buckets").hasSizeGreaterThan(100);
    }
}
