package dev.hashdir.engine;

import dev.hashdir.engine.bucket.BucketLayout;
import dev.hashdir.engine.store.StoreOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Bit flips in a bucket's state mask, through the whole engine: every single flip of the mask or
 * its check bytes is corrected, counted in {@code ecc_corrected} and never changes an answer; two
 * flips in one mask word make every operation on that bucket a {@link CorruptionException}, never a
 * wrong answer, and the rest of the store keeps working. A flip that reaches the file (a page
 * written with a flipped bit and a valid checksum) is corrected after reopening.
 */
class HashDirEccTest {

    @TempDir
    Path dir;

    private final List<byte[]> keys = new ArrayList<>();
    private HashDir hd;
    private BucketLayout layout;

    @BeforeEach
    void fill() throws Exception {
        hd = HashDir.create(dir, StoreOptions.defaults(), HashDirConfig.defaults());
        layout = hd.index().layout();
        SplittableRandom random = new SplittableRandom(72);
        for (int i = 0; i < 150; i++) {
            byte[] k = new byte[32];
            random.nextBytes(k);
            keys.add(k);
            hd.putAll(k, new long[]{i, -i - 1L, i * 1000L}, 0, 1 + i % 3);
        }
    }

    @AfterEach
    void close() throws Exception {
        hd.close();
    }

    @Test
    void correctsEverySingleFlipOfTheMaskAndItsCheckBits() {
        long bucket = bucketOf(keys.getFirst());
        int bits = layout.maskWords() * 72;
        for (int bit = 0; bit < bits; bit++) {
            long before = hd.stats().eccCorrected();
            flip(bucket, bit);
            assertAllAnswersRight("after flipping bit " + bit);
            assertThat(hd.stats().eccCorrected()).as("bit %d", bit).isEqualTo(before + 1);
            assertThat(hd.stats().asMap().get("ecc_corrected")).isEqualTo(before + 1);
        }
    }

    @Test
    void twoFlipsInOneWordAreCorruptionNeverAWrongAnswer() {
        byte[] victim = keys.getFirst();
        long bucket = bucketOf(victim);
        byte[] elsewhere = keys.stream().filter(k -> bucketOf(k) != bucket).findFirst().orElseThrow();
        long elsewhereCount = hd.count(elsewhere);
        SplittableRandom random = new SplittableRandom(2);
        for (int trial = 0; trial < 300; trial++) {
            int w = random.nextInt(layout.maskWords());
            int a = random.nextInt(72);
            int b = (a + 1 + random.nextInt(71)) % 72;
            flip(bucket, w * 72 + a);
            flip(bucket, w * 72 + b);
            String where = "word " + w + " bits " + a + "," + b;
            assertThatThrownBy(() -> hd.count(victim)).as(where).isInstanceOf(CorruptionException.class)
                    .hasMessageContaining("bucket state mask");
            assertThatThrownBy(() -> hd.contains(victim, 0)).as(where).isInstanceOf(CorruptionException.class);
            assertThatThrownBy(() -> hd.put(victim, 12345)).as(where).isInstanceOf(CorruptionException.class);
            assertThat(hd.count(elsewhere)).as(where + ": other buckets still answer").isEqualTo(elsewhereCount);
            flip(bucket, w * 72 + a);
            flip(bucket, w * 72 + b);
        }
        assertAllAnswersRight("after restoring");
        assertThat(hd.stats().eccCorrected()).isZero();
    }

    @Test
    void aFlipWrittenToTheFileIsCorrectedAfterReopen() throws Exception {
        long bucket = bucketOf(keys.getFirst());
        flip(bucket, 5);
        hd.cache().flush(); // the page reaches the file with the flipped bit under a valid checksum
        hd.close();
        hd = HashDir.open(dir, HashDirConfig.defaults());
        assertThat(hd.stats().eccCorrected()).isZero();
        assertAllAnswersRight("after reopen");
        assertThat(hd.stats().eccCorrected()).isEqualTo(1);
    }

    private long bucketOf(byte[] key) {
        return hd.index().bucketOf(MemorySegment.ofArray(key), 0);
    }

    /** Flips protected bit {@code bit} of the page: 72 per mask word, 64 data bits then 8 check bits. */
    private void flip(long page, int bit) {
        MemorySegment seg = hd.cache().modify(page);
        int w = bit / 72;
        int b = bit % 72;
        long at = b < 64 ? layout.maskWordOffset(w) + b / 8 : layout.eccOffset(w);
        int mask = 1 << (b < 64 ? b % 8 : b - 64);
        seg.set(ValueLayout.JAVA_BYTE, at, (byte) (seg.get(ValueLayout.JAVA_BYTE, at) ^ mask));
        hd.cache().endOperation();
    }

    private void assertAllAnswersRight(String where) {
        GetResult got = new GetResult(8);
        for (int i = 0; i < keys.size(); i++) {
            byte[] k = keys.get(i);
            long[] expected = java.util.Arrays.copyOf(new long[]{i, -i - 1L, i * 1000L}, 1 + i % 3);
            long[] sorted = java.util.stream.LongStream.of(expected).boxed().sorted(Long::compareUnsigned)
                    .mapToLong(Long::longValue).distinct().toArray();
            hd.get(k, false, 0, 8, got);
            assertThat(got.toArray()).as(where + ": key " + i).containsExactly(sorted);
        }
    }
}
