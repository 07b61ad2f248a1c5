package dev.hashdir.engine;

import dev.hashdir.engine.store.StoreOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Adversarial keys: 100,000 keys sharing their first 48 bits, among 20,000 uniform ones. The
 * directory must stay within its bound (no doubling per shared bit), the crowded bucket must grow
 * an overflow chain instead of splitting uselessly, every answer must stay right, and deleting
 * the crowd must give the overflow pages back.
 */
class CraftedPrefixTest {

    private static final int MAX_DEPTH = 16;
    private static final int CRAFTED = 100_000;
    private static final int UNIFORM = 20_000;

    @TempDir
    Path dir;

    @Test
    void keysSharingA48BitPrefixStayCorrectAndBounded() throws Exception {
        SplittableRandom random = new SplittableRandom(48);
        byte[][] crafted = new byte[CRAFTED][];
        for (int i = 0; i < CRAFTED; i++) {
            crafted[i] = new byte[32];
            random.nextBytes(crafted[i]);
            System.arraycopy(new byte[]{(byte) 0xC0, (byte) 0xFF, (byte) 0xEE, 0x12, 0x34, 0x56}, 0, crafted[i], 0, 6);
        }
        byte[][] uniform = new byte[UNIFORM][];
        for (int i = 0; i < UNIFORM; i++) {
            uniform[i] = new byte[32];
            random.nextBytes(uniform[i]);
        }
        HashDirConfig config = HashDirConfig.defaults().withMaxGlobalDepth(MAX_DEPTH).withCacheBytes(16 << 20);
        try (HashDir hd = HashDir.create(dir, StoreOptions.defaults(), config)) {
            for (int i = 0; i < UNIFORM; i++) {
                hd.put(uniform[i], i);
            }
            for (int i = 0; i < CRAFTED; i++) {
                assertThat(hd.put(crafted[i], i)).as("crafted key %d", i).isEqualTo(1);
            }
            Stats s = hd.stats();
            assertThat(s.keys()).isEqualTo(CRAFTED + UNIFORM);
            assertThat(s.globalDepth()).isLessThanOrEqualTo(MAX_DEPTH);
            assertThat(hd.directory().entriesInMemory()).as("directory size").isLessThanOrEqualTo(1L << MAX_DEPTH);
            assertThat(s.overflowPages()).as("the crowd lives in an overflow chain")
                    .isGreaterThanOrEqualTo(CRAFTED / hd.index().layout().slots() - 1);
            assertThat(s.buckets()).as("no useless splits").isLessThan(UNIFORM / 30 + 2L * MAX_DEPTH);
            assertThat(hd.cache().spilledFrames()).as("walks release the chain's pages").isZero();
        }
        try (HashDir hd = HashDir.open(dir, config)) {
            GetResult got = new GetResult(4);
            for (int i = 0; i < CRAFTED; i += 7) {
                hd.get(crafted[i], false, 0, 4, got);
                assertThat(got.toArray()).as("crafted key %d", i).containsExactly(i);
            }
            for (int i = 0; i < UNIFORM; i += 3) {
                assertThat(hd.contains(uniform[i], i)).as("uniform key %d", i).isTrue();
            }
            assertThat(fullScan(hd)).as("scan order").isEqualTo(sorted(crafted, uniform));
            for (int i = 0; i < CRAFTED; i++) {
                assertThat(hd.delete(crafted[i])).as("delete crafted key %d", i).isEqualTo(1);
            }
            Stats s = hd.stats();
            assertThat(s.keys()).isEqualTo(UNIFORM);
            assertThat(s.overflowPages()).as("emptied overflow pages are freed").isZero();
            new IndexChecker(hd.index(), config.inlineValues()).check();
            hd.cache().endOperation();
        }
    }

    private static List<ByteBuffer> fullScan(HashDir hd) {
        List<ByteBuffer> keys = new ArrayList<>();
        ScanResult page = new ScanResult(32, HashDir.MAX_LIMIT);
        byte[] cursor = null;
        do {
            hd.scan(cursor, HashDir.MAX_LIMIT, page);
            for (int i = 0; i < page.size(); i++) {
                keys.add(ByteBuffer.wrap(page.key(i)));
            }
            cursor = page.size() > 0 ? page.cursor() : cursor;
        } while (page.more());
        return keys;
    }

    private static List<ByteBuffer> sorted(byte[][] a, byte[][] b) {
        List<byte[]> all = new ArrayList<>(Arrays.asList(a));
        all.addAll(Arrays.asList(b));
        all.sort(Arrays::compareUnsigned);
        return all.stream().map(ByteBuffer::wrap).toList();
    }
}
