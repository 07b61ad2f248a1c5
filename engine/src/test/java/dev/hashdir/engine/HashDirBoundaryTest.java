package dev.hashdir.engine;

import dev.hashdir.engine.store.StoreOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The edges of the structure, one at a time: split, doubling, merge, halving, overflow, promotion, demotion, bad input. */
class HashDirBoundaryTest {

    @TempDir
    Path dir;

    private final SplittableRandom random = new SplittableRandom(2024);
    private HashDir hd;

    @AfterEach
    void close() throws Exception {
        if (hd != null) {
            hd.close();
        }
    }

    private HashDir create(HashDirConfig config) throws Exception {
        hd = HashDir.create(dir, StoreOptions.defaults(), config);
        return hd;
    }

    private byte[] key() {
        byte[] k = new byte[32];
        random.nextBytes(k);
        return k;
    }

    private void check() {
        new IndexChecker(hd.index(), hd.config().inlineValues()).check();
        hd.cache().endOperation();
    }

    @Test
    void theFirstBucketSplitsAndTheDirectoryDoublesWhenItOverflows() throws Exception {
        create(HashDirConfig.defaults());
        int slots = hd.index().layout().slots();
        for (int i = 0; i < slots; i++) {
            hd.put(key(), i);
        }
        assertThat(hd.stats().globalDepth()).isZero();
        assertThat(hd.stats().buckets()).isEqualTo(1);
        assertThat(hd.stats().loadFactor()).isEqualTo(1.0);
        hd.put(key(), slots);
        assertThat(hd.stats().globalDepth()).isGreaterThanOrEqualTo(1);
        assertThat(hd.stats().buckets()).isGreaterThanOrEqualTo(2);
        assertThat(hd.index().splitter().splits()).isGreaterThanOrEqualTo(1);
        check();
    }

    @Test
    void doublingIsSpreadOverOperations() throws Exception {
        int chunk = 16;
        hd = HashDir.create(dir, StoreOptions.defaults(), HashDirConfig.defaults(), new HashDir.Tuning(4, 0));
        long maxCopied = 0;
        int resizingAfter = 0;
        int maxDepth = 0;
        for (int i = 0; i < 60_000; i++) {
            hd.put(key(), i);
            maxCopied = Math.max(maxCopied, hd.directoryEntriesCopiedLastOperation());
            resizingAfter += hd.directory().resizing() ? 1 : 0;
            maxDepth = Math.max(maxDepth, hd.directory().globalDepth());
        }
        assertThat(maxDepth).isGreaterThanOrEqualTo(9);
        assertThat(resizingAfter).as("operations that ended with a resize still running").isGreaterThan(50);
        assertThat(maxCopied).as("entries one operation copied, of a directory of 2^" + maxDepth)
                .isLessThanOrEqualTo(8L * chunk).isLessThan(1L << (maxDepth - 2));
        check();
    }

    @Test
    void bucketsMergeAndTheDirectoryHalvesWhenKeysGo() throws Exception {
        create(HashDirConfig.defaults());
        List<byte[]> keys = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            keys.add(key());
            hd.put(keys.getLast(), i);
        }
        assertThat(hd.stats().globalDepth()).isGreaterThanOrEqualTo(6);
        long pagesFull = hd.stats().pages();
        for (int i = 0; i < 4500; i++) {
            hd.delete(keys.get(i));
        }
        assertThat(hd.stats().buckets()).as("merged").isLessThan(pagesFull / 3);
        check();
        for (int i = 4500; i < 5000; i++) {
            hd.delete(keys.get(i));
        }
        Stats s = hd.stats();
        assertThat(s.keys()).isZero();
        assertThat(s.globalDepth()).as("halved all the way").isZero();
        assertThat(s.buckets()).isEqualTo(1);
        assertThat(s.pages()).as("pages given back").isEqualTo(1);
        check();
    }

    @Test
    void theMergeThresholdDecidesWhenBuddiesMerge() throws Exception {
        long[] bucketsAfter = new long[2];
        double[] thresholds = {0.0, 0.9};
        for (int t = 0; t < 2; t++) {
            Path sub = dir.resolve("t" + t);
            SplittableRandom r = new SplittableRandom(9);
            try (HashDir h = HashDir.create(sub, StoreOptions.defaults(),
                    HashDirConfig.defaults().withMergeThreshold(thresholds[t]))) {
                List<byte[]> keys = new ArrayList<>();
                for (int i = 0; i < 2000; i++) {
                    byte[] k = new byte[32];
                    r.nextBytes(k);
                    keys.add(k);
                    h.put(k, i);
                }
                for (int i = 0; i < 1400; i++) {
                    h.delete(keys.get(i));
                }
                bucketsAfter[t] = h.stats().buckets();
            }
        }
        assertThat(bucketsAfter[1]).isLessThan(bucketsAfter[0] / 2);
    }

    @Test
    void aKeyOnThePromotionBorderDoesNotFlap() throws Exception {
        create(HashDirConfig.defaults()); // inline up to 9, demote at 4
        byte[] k = key();
        long[] values = {10, 20, 30, 40, 50, 60, 70, 80, 90, 100};
        hd.putAll(k, values, 0, 9);
        assertThat(hd.stats().valueLists()).isZero();
        long pagesInline = hd.stats().pages();
        hd.put(k, 100);
        assertThat(hd.stats().valueLists()).as("promoted at 10").isEqualTo(1);
        assertThat(hd.index().promotions()).isEqualTo(1);
        for (int i = 0; i < 100; i++) {
            assertThat(hd.remove(k, 100)).isTrue();
            assertThat(hd.put(k, 100)).isEqualTo(1);
        }
        assertThat(hd.index().promotions()).as("9 <-> 10 does not flap").isEqualTo(1);
        assertThat(hd.index().demotions()).isZero();
        for (long v : new long[]{100, 90, 80, 70, 60}) {
            hd.remove(k, v);
            assertThat(hd.stats().valueLists()).as("still a list after removing %d", v).isEqualTo(1);
        }
        hd.remove(k, 50);
        assertThat(hd.stats().valueLists()).as("demoted at 4 values").isZero();
        assertThat(hd.index().demotions()).isEqualTo(1);
        assertThat(hd.stats().pages()).as("the list's pages are given back").isEqualTo(pagesInline);
        for (int i = 0; i < 100; i++) {
            hd.put(k, 55);
            hd.remove(k, 55);
        }
        assertThat(hd.index().demotions()).as("4 <-> 5 does not flap").isEqualTo(1);
        assertThat(hd.index().promotions()).isEqualTo(1);
        GetResult got = new GetResult(16);
        hd.get(k, false, 0, 16, got);
        assertThat(got.toArray()).containsExactly(10, 20, 30, 40);
        check();
    }

    @Test
    void aLargeSetPaginatesInUnsignedOrder() throws Exception {
        create(HashDirConfig.defaults());
        byte[] k = key();
        long[] values = random.longs(100_000).toArray();
        values[0] = 0;
        values[1] = -1;
        values[2] = Long.MIN_VALUE;
        values[3] = Long.MAX_VALUE;
        assertThat(hd.putAll(k, values, 0, values.length)).isEqualTo(100_000);
        TreeSet<Long> expected = new TreeSet<>(Long::compareUnsigned);
        Arrays.stream(values).forEach(expected::add);
        GetResult got = new GetResult(777);
        List<Long> all = new ArrayList<>();
        hd.get(k, false, 0, 777, got);
        while (true) {
            assertThat(got.total()).isEqualTo(100_000);
            all.addAll(Arrays.stream(got.toArray()).boxed().toList());
            if (!got.more()) {
                break;
            }
            hd.get(k, true, got.value(got.size() - 1), 777, got);
        }
        assertThat(all).isEqualTo(new ArrayList<>(expected));
        hd.get(k, true, Long.MAX_VALUE, 2, got);
        assertThat(got.toArray()).containsExactly(Long.MIN_VALUE, expected.higher(Long.MIN_VALUE));
        hd.get(k, true, -1, 5, got);
        assertThat(got.size()).isZero();
        assertThat(got.more()).isFalse();
        assertThat(hd.delete(k)).isEqualTo(100_000);
        assertThat(hd.stats().pages()).isEqualTo(1);
    }

    @Test
    void smallSetsOrderUnsignedToo() throws Exception {
        create(HashDirConfig.defaults());
        byte[] k = key();
        hd.putAll(k, new long[]{-1, Long.MIN_VALUE, Long.MAX_VALUE, 1, 0, 1, -1}, 0, 7);
        GetResult got = new GetResult(10);
        hd.get(k, false, 0, 10, got);
        assertThat(got.toArray()).containsExactly(0, 1, Long.MAX_VALUE, Long.MIN_VALUE, -1);
        assertThat(got.total()).isEqualTo(5);
        hd.get(k, true, Long.MAX_VALUE, 1, got);
        assertThat(got.toArray()).containsExactly(Long.MIN_VALUE);
        assertThat(got.more()).isTrue();
        assertThat(hd.putAll(k, new long[]{0, 1}, 0, 2)).isZero();
        assertThat(hd.putAll(key(), new long[]{5}, 1, 1)).as("an empty range adds nothing").isZero();
        assertThat(hd.stats().keys()).isEqualTo(1);
        byte[] absent = key();
        hd.get(absent, false, 0, 10, got);
        assertThat(got.size()).isZero();
        assertThat(got.total()).isZero();
        assertThat(got.more()).isFalse();
        assertThat(hd.count(absent)).isZero();
        assertThat(hd.remove(absent, 1)).isFalse();
        assertThat(hd.delete(absent)).isZero();
    }

    @Test
    void pastTheDepthBoundBucketsGrowOverflowPages() throws Exception {
        create(HashDirConfig.defaults().withMaxGlobalDepth(1));
        List<byte[]> keys = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            keys.add(key());
            hd.put(keys.getLast(), i);
        }
        Stats s = hd.stats();
        assertThat(s.globalDepth()).isEqualTo(1);
        assertThat(s.overflowPages()).isGreaterThanOrEqualTo(8);
        assertThat(s.asMap()).containsKeys("keys", "values", "global_depth", "buckets", "pages", "load_factor",
                "value_lists", "ecc_corrected", "overflow_pages", "checkpoint_shadows", "shadow_copies");
        for (int i = 0; i < keys.size(); i++) {
            assertThat(hd.contains(keys.get(i), i)).isTrue();
        }
        check();
    }

    @Test
    void badInputIsRejectedNamingTheValueAndChangesNothing() throws Exception {
        create(HashDirConfig.defaults());
        byte[] k = key();
        hd.putAll(k, new long[]{1, 2, 3}, 0, 3);
        for (int i = 0; i < 300; i++) {
            hd.put(key(), i);
        }
        String before = snapshot(k);
        GetResult got = new GetResult(10);
        ScanResult scanned = new ScanResult(32, 10);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment shortKey = arena.allocate(31);
            assertBad(() -> hd.put(new byte[31], 1), "key must be exactly 32 bytes: length=31");
            assertBad(() -> hd.put((byte[]) null, 1), "length=null");
            assertBad(() -> hd.put(shortKey, 1), "length=31");
            assertBad(() -> hd.putAll(new byte[33], new long[]{1}, 0, 1), "length=33");
            assertBad(() -> hd.putAll(k, new long[]{1}, 1, 0), "from=1, to=0");
            assertBad(() -> hd.putAll(k, new long[]{1}, 0, 2), "to=2, length=1");
            assertBad(() -> hd.putAll(k, new long[]{1}, -1, 1), "from=-1");
            assertBad(() -> hd.putAll(k, null, 0, 0), "length=null");
            assertBad(() -> hd.remove(new byte[0], 1), "length=0");
            assertBad(() -> hd.delete(shortKey), "length=31");
            assertBad(() -> hd.contains(new byte[64], 1), "length=64");
            assertBad(() -> hd.count(new byte[16]), "length=16");
            assertBad(() -> hd.get(k, false, 0, 0, got), "limit=0");
            assertBad(() -> hd.get(k, false, 0, -1, got), "limit=-1");
            assertBad(() -> hd.get(k, false, 0, 11, got), "limit=11");
            assertBad(() -> hd.get(new byte[31], false, 0, 5, got), "length=31");
            assertBad(() -> hd.scan((byte[]) null, 0, scanned), "limit=0");
            assertBad(() -> hd.scan((byte[]) null, HashDir.MAX_LIMIT + 1, scanned), "limit=65537");
            assertBad(() -> hd.scan(new byte[5], 5, scanned), "length=5");
            assertBad(() -> hd.scan((byte[]) null, 5, new ScanResult(16, 10)), "16-byte keys");
        }
        assertBad(() -> new GetResult(0), "capacity=0");
        assertBad(() -> new GetResult(HashDir.MAX_LIMIT + 1), "capacity=65537");
        assertThat(snapshot(k)).isEqualTo(before);
        check();
    }

    @Test
    void configurationIsValidatedNamingTheBadValue() throws Exception {
        HashDirConfig d = HashDirConfig.defaults();
        assertBad(() -> d.withCacheBytes(1000), "cacheBytes=1000");
        assertBad(() -> d.withMaxGlobalDepth(0), "maxGlobalDepth=0");
        assertBad(() -> d.withMaxGlobalDepth(31), "maxGlobalDepth=31");
        assertBad(() -> d.withMergeThreshold(Double.NaN), "mergeThreshold=NaN");
        assertBad(() -> d.withMergeThreshold(1.0), "mergeThreshold=1.0");
        assertBad(() -> d.withInline(0, 0), "inlineValues=0");
        assertBad(() -> d.withInline(65, 4), "inlineValues=65");
        assertBad(() -> d.withInline(9, 9), "demoteValues=9");
        assertBad(() -> d.withInline(9, -1), "demoteValues=-1");
        create(d);
        for (int i = 0; i < 3000; i++) {
            hd.put(key(), i);
        }
        int depth = hd.stats().globalDepth();
        hd.close();
        hd = null;
        assertBad(() -> HashDir.open(dir, d.withMaxGlobalDepth(depth - 1)), "maxGlobalDepth=" + (depth - 1));
        hd = HashDir.open(dir, d);
        assertThat(hd.stats().keys()).as("a refused open leaves the store usable").isEqualTo(3000);
        HashDir closed = hd;
        hd.close();
        hd = null;
        assertThatThrownBy(() -> closed.put(key(), 1)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void flushMakesChangesDurableAndWorkGoesOn() throws Exception {
        create(HashDirConfig.defaults());
        byte[] a = key();
        byte[] b = key();
        hd.put(a, 1);
        hd.flush();
        hd.put(b, 2);
        hd.flush();
        hd.put(a, 3);
        hd.close();
        hd = HashDir.open(dir, HashDirConfig.defaults());
        assertThat(hd.count(a)).isEqualTo(2);
        assertThat(hd.contains(b, 2)).isTrue();
        check();
    }

    private String snapshot(byte[] k) {
        Stats s = hd.stats();
        GetResult got = new GetResult(10);
        hd.get(k, false, 0, 10, got);
        ScanResult all = new ScanResult(32, 1000);
        hd.scan((byte[]) null, 1000, all);
        StringBuilder keys = new StringBuilder();
        for (int i = 0; i < all.size(); i++) {
            keys.append(java.util.HexFormat.of().formatHex(all.key(i)));
        }
        return s + Arrays.toString(got.toArray()) + keys;
    }

    private static void assertBad(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String names) {
        assertThatThrownBy(call).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(names);
    }
}
