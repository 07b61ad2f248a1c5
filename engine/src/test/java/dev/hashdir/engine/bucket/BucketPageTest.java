package dev.hashdir.engine.bucket;

import dev.hashdir.engine.CorruptionException;
import dev.hashdir.engine.page.HeapPageSpace;
import dev.hashdir.engine.store.PageKind;
import dev.hashdir.engine.store.StoreFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BucketPageTest {

    private static final int K = 32;
    private final Arena arena = Arena.ofConfined();
    private final HeapPageSpace space = new HeapPageSpace(4096);
    private final BucketLayout layout = new BucketLayout(K, 4096);
    private final BucketPages pages = new BucketPages(space, layout);

    @AfterEach
    void close() {
        space.close();
        arena.close();
    }

    @Test
    void aFourKibPageHoldsOneHundredThirtyTwoByteKeys() {
        assertThat(layout.slots()).isEqualTo(100);
        assertThat(layout.valuesPerContinuation()).isEqualTo(4);
        assertThat(layout.inlineSlots(1)).isEqualTo(1);
        assertThat(layout.inlineSlots(5)).isEqualTo(2);
        assertThat(layout.inlineSlots(6)).isEqualTo(3);
        for (int k = StoreFormat.MIN_KEY_BYTES; k <= StoreFormat.MAX_KEY_BYTES; k++) {
            for (int p = StoreFormat.MIN_PAGE_SIZE; p <= StoreFormat.MAX_PAGE_SIZE; p *= 2) {
                BucketLayout l = new BucketLayout(k, p);
                int end = l.slotOffset(l.slots());
                assertThat(end).as("%s", l).isLessThanOrEqualTo(p);
                assertThat(p - end).as("%s wastes less than a slot", l).isLessThan(l.slotBytes() + 1 + 16);
                assertThat(2 * l.slots()).as("%s mask bits", l).isLessThanOrEqualTo(64 * l.maskWords());
                assertThat(l.fingerprintOffset(0)).isGreaterThanOrEqualTo(l.eccOffset(l.maskWords()));
            }
        }
    }

    @Test
    void fingerprintRecoversTheLastKeyByte() {
        SplittableRandom random = new SplittableRandom(7);
        MemorySegment key = arena.allocate(64);
        for (int k = 16; k <= 64; k++) {
            for (int i = 0; i < 200; i++) {
                randomKey(random, key, k);
                int fp = Fingerprint.of(key, 0, k);
                assertThat(Fingerprint.lastByte(fp, key, 0, k)).isEqualTo(key.get(ValueLayout.JAVA_BYTE, k - 1) & 0xFF);
            }
        }
    }

    /** Random inserts, rewrites, promotions to external and removals in one page, against a map. */
    @Test
    void recordsAgreeWithAModel() {
        for (long seed = 1; seed <= 10; seed++) {
            SplittableRandom random = new SplittableRandom(seed);
            long id = pages.allocate(PageKind.BUCKET, 3, new BucketPage(layout)).id();
            BucketPage page = pages.modify(id, new BucketPage(layout));
            BucketPage scratch = new BucketPage(layout).wrap(arena.allocate(4096), 0);
            Map<String, long[]> model = new HashMap<>();
            Map<String, MemorySegment> keys = new HashMap<>();
            long[] values = new long[16];
            for (int step = 0; step < 2000; step++) {
                String where = "seed " + seed + " step " + step;
                int op = random.nextInt(4);
                if (op == 0 || keys.isEmpty()) {
                    MemorySegment key = randomKey(random, arena.allocate(K), K);
                    int count = 1 + random.nextInt(9);
                    long[] set = sortedSet(random, count);
                    int need = count > 9 ? 1 : layout.inlineSlots(count);
                    int at = page.freeRun(need);
                    if (at < 0 && page.freeSlots() >= need) {
                        page.compact(scratch);
                        at = page.freeRun(need);
                        assertThat(at).as(where + " compaction leaves one free run").isGreaterThanOrEqualTo(0);
                    }
                    if (at >= 0) {
                        page.putInline(at, key, 0, Fingerprint.of(key, 0, K), set, count);
                        model.put(hex(key), set);
                        keys.put(hex(key), key);
                    }
                } else {
                    String name = new ArrayList<>(keys.keySet()).get(random.nextInt(keys.size()));
                    MemorySegment key = keys.get(name);
                    int slot = page.find(key, 0, Fingerprint.of(key, 0, K));
                    assertThat(slot).as(where).isGreaterThanOrEqualTo(0);
                    if (op == 1) {
                        page.removeRecord(slot);
                        model.remove(name);
                        keys.remove(name);
                    } else if (op == 2 && !page.isExternal(slot)) {
                        long[] set = sortedSet(random, 1 + random.nextInt(5));
                        if (page.freeAt(slot + page.recordSlots(slot),
                                Math.max(0, layout.inlineSlots(set.length) - page.recordSlots(slot)))) {
                            page.rewriteInline(slot, set, set.length);
                            model.put(name, set);
                        }
                    } else if (op == 3 && !page.isExternal(slot)) {
                        page.makeExternal(slot, 1000 + step);
                        model.put(name, new long[]{-(1000 + step)});
                    }
                }
                verify(page, model, keys, values, where);
            }
            assertThat(page.firstDamagedWord()).isEqualTo(-1);
        }
    }

    @Test
    void freeRunOfOneAndNextRecordAgreeWithASlotBySlotScanAtEveryFilling() {
        for (long seed = 1; seed <= 5; seed++) {
            SplittableRandom random = new SplittableRandom(seed);
            long id = pages.allocate(PageKind.BUCKET, 0, new BucketPage(layout)).id();
            BucketPage page = pages.modify(id, new BucketPage(layout));
            List<Integer> records = new ArrayList<>();
            for (int step = 0; step < 3000; step++) {
                int expected = -1;
                for (int slot = 0; slot < layout.slots(); slot++) {
                    if (page.state(slot) == SlotState.FREE) {
                        expected = slot;
                        break;
                    }
                }
                assertThat(page.freeRun(1)).as("seed %d step %d, %d slots used", seed, step, page.used())
                        .isEqualTo(expected);
                int next = -1;
                for (int from = layout.slots(); from >= 0; from--) {
                    if (from < layout.slots() && SlotState.holdsKey(page.state(from))) {
                        next = from;
                    }
                    assertThat(page.nextRecord(from)).as("seed %d step %d: next record from %d", seed, step, from)
                            .isEqualTo(next);
                }
                // mostly fills, so the page is often full (including the last mask word's last slot)
                // records of one value, or of several (continuation slots hold no key)
                int count = random.nextInt(3) == 0 ? 2 + random.nextInt(8) : 1;
                int at = page.freeRun(layout.inlineSlots(count));
                if (at >= 0 && (random.nextInt(4) != 0 || records.isEmpty())) {
                    MemorySegment key = randomKey(random, arena.allocate(K), K);
                    page.putInline(at, key, 0, Fingerprint.of(key, 0, K), sortedSet(random, count), count);
                    records.add(at);
                } else if (!records.isEmpty()) {
                    page.removeRecord(records.remove(random.nextInt(records.size())));
                }
            }
        }
    }

    @Test
    void moveRecordsWithBitSplitsAPageInTwo() {
        for (long seed = 1; seed <= 20; seed++) {
            SplittableRandom random = new SplittableRandom(seed);
            BucketPage page = pages.modify(pages.allocate(PageKind.BUCKET, 0, new BucketPage(layout)).id(),
                    new BucketPage(layout));
            Map<String, long[]> model = new HashMap<>();
            Map<String, MemorySegment> keys = new HashMap<>();
            long[] values = new long[16];
            for (int i = 0; i < 200; i++) {
                MemorySegment key = randomKey(random, arena.allocate(K), K);
                int count = random.nextInt(4) == 0 ? 2 + random.nextInt(8) : 1;
                int at = page.freeRun(layout.inlineSlots(count));
                if (at < 0) {
                    continue;
                }
                long[] set = sortedSet(random, count);
                page.putInline(at, key, 0, Fingerprint.of(key, 0, K), set, count);
                model.put(hex(key), set);
                keys.put(hex(key), key);
                if (random.nextInt(5) == 0) { // holes, so records are spread over the page
                    String gone = hex(key);
                    page.removeRecord(page.find(key, 0, Fingerprint.of(key, 0, K)));
                    model.remove(gone);
                    keys.remove(gone);
                }
            }
            int bit = 63 - random.nextInt(3);
            BucketPage upper = pages.allocate(PageKind.BUCKET, 1, new BucketPage(layout));
            int moved = page.moveRecordsWithBit(bit, upper);
            Map<String, long[]> low = new HashMap<>();
            Map<String, long[]> high = new HashMap<>();
            model.forEach((k, v) -> ((keys.get(k).get(ValueLayout.JAVA_BYTE, 0) >>> (bit - 56) & 1) != 0 ? high : low)
                    .put(k, v));
            String where = "seed " + seed + " bit " + bit;
            assertThat(moved).as(where).isEqualTo(high.size());
            verify(page, low, keys, values, where + " (records that stay)");
            verify(upper, high, keys, values, where + " (records that moved)");
            assertThat(page.firstDamagedWord()).as(where).isEqualTo(-1);
            assertThat(upper.firstDamagedWord()).as(where).isEqualTo(-1);
            for (String k : high.keySet()) {
                MemorySegment key = keys.get(k);
                assertThat(page.find(key, 0, Fingerprint.of(key, 0, K))).as(where + ": moved key left behind").isEqualTo(-1);
            }
        }
    }

    @Test
    void findTellsApartKeysThatDifferInAnyOneByte() {
        SplittableRandom random = new SplittableRandom(9);
        long id = pages.allocate(PageKind.BUCKET, 0, new BucketPage(layout)).id();
        BucketPage page = pages.modify(id, new BucketPage(layout));
        MemorySegment key = randomKey(random, arena.allocate(K), K);
        int fp = Fingerprint.of(key, 0, K);
        page.putInline(7, key, 0, fp, new long[]{1}, 1);
        assertThat(page.find(key, 0, fp)).isEqualTo(7);
        for (int at = 0; at < K - 1; at++) {
            MemorySegment other = arena.allocate(K);
            other.copyFrom(key);
            other.set(ValueLayout.JAVA_BYTE, at, (byte) (key.get(ValueLayout.JAVA_BYTE, at) ^ (1 << (at % 8))));
            // the same fingerprint, so only the stored bytes can tell the keys apart
            assertThat(page.find(other, 0, fp)).as("key differing in byte %d", at).isEqualTo(-1);
        }
    }

    @Test
    void correctsEverySingleFlipOfTheMaskThroughARealPage() {
        Map<String, long[]> model = new HashMap<>();
        Map<String, MemorySegment> keys = new HashMap<>();
        long id = filledPage(model, keys);
        long[] values = new long[16];
        int bits = layout.maskWords() * 72;
        for (int bit = 0; bit < bits; bit++) {
            flip(id, bit);
            long before = pages.eccCorrected();
            BucketPage page = pages.read(id, new BucketPage(layout));
            assertThat(pages.eccCorrected()).as("bit %d", bit).isEqualTo(before + 1);
            assertThat(page.firstDamagedWord()).as("bit %d repaired in place", bit).isEqualTo(-1);
            verify(page, model, keys, values, "bit " + bit);
        }
    }

    @Test
    void detectsEveryDoubleFlipInAMaskWord() {
        Map<String, long[]> model = new HashMap<>();
        Map<String, MemorySegment> keys = new HashMap<>();
        long id = filledPage(model, keys);
        for (int w = 0; w < layout.maskWords(); w++) {
            for (int a = 0; a < 72; a++) {
                for (int b = a + 1; b < 72; b += 1 + (a + b) % 5) {
                    int bitA = w * 72 + a;
                    int bitB = w * 72 + b;
                    flip(id, bitA);
                    flip(id, bitB);
                    assertThatThrownBy(() -> pages.read(id, new BucketPage(layout)))
                            .as("word %d bits %d,%d", w, a, b)
                            .isInstanceOf(CorruptionException.class)
                            .hasMessageContaining("bucket state mask").hasMessageContaining("page=" + id);
                    flip(id, bitA);
                    flip(id, bitB);
                }
            }
        }
        long[] values = new long[16];
        verify(pages.read(id, new BucketPage(layout)), model, keys, values, "after");
        assertThat(pages.eccCorrected()).isZero();
    }

    /** Flips bit {@code bit} of the protected bits: 72 per mask word, 64 data then 8 check. */
    private void flip(long id, int bit) {
        MemorySegment seg = space.modify(id);
        int w = bit / 72;
        int b = bit % 72;
        long at = b < 64 ? layout.maskWordOffset(w) + b / 8 : layout.eccOffset(w);
        int mask = 1 << (b < 64 ? b % 8 : b - 64);
        seg.set(ValueLayout.JAVA_BYTE, at, (byte) (seg.get(ValueLayout.JAVA_BYTE, at) ^ mask));
    }

    private long filledPage(Map<String, long[]> model, Map<String, MemorySegment> keys) {
        SplittableRandom random = new SplittableRandom(42);
        BucketPage page = pages.allocate(PageKind.BUCKET, 0, new BucketPage(layout));
        while (true) {
            int count = 1 + random.nextInt(6);
            int at = page.freeRun(layout.inlineSlots(count));
            if (at < 0) {
                break;
            }
            MemorySegment key = randomKey(random, arena.allocate(K), K);
            long[] set = sortedSet(random, count);
            if (random.nextInt(5) == 0) {
                page.putExternal(at, key, 0, Fingerprint.of(key, 0, K), 77);
                set = new long[]{-77};
            } else {
                page.putInline(at, key, 0, Fingerprint.of(key, 0, K), set, count);
            }
            model.put(hex(key), set);
            keys.put(hex(key), key);
        }
        assertThat(page.used()).isGreaterThan(layout.slots() - 6);
        return page.id();
    }

    private void verify(BucketPage page, Map<String, long[]> model, Map<String, MemorySegment> keys, long[] values,
                        String where) {
        assertThat(page.records()).as(where).isEqualTo(model.size());
        int used = 0;
        MemorySegment copy = arena.allocate(K);
        for (Map.Entry<String, long[]> e : model.entrySet()) {
            MemorySegment key = keys.get(e.getKey());
            int slot = page.find(key, 0, Fingerprint.of(key, 0, K));
            assertThat(slot).as(where + " key " + e.getKey()).isGreaterThanOrEqualTo(0);
            page.copyKey(slot, copy, 0);
            assertThat(hex(copy)).as(where).isEqualTo(e.getKey());
            if (page.isExternal(slot)) {
                assertThat(new long[]{-page.payload(slot)}).as(where).isEqualTo(e.getValue());
                used += 1;
            } else {
                int n = page.readInline(slot, values);
                assertThat(n).as(where).isEqualTo(page.inlineCount(slot));
                assertThat(Arrays.copyOf(values, n)).as(where + " key " + e.getKey()).isEqualTo(e.getValue());
                used += layout.inlineSlots(n);
                assertThat(page.recordSlots(slot)).as(where).isEqualTo(layout.inlineSlots(n));
            }
        }
        assertThat(page.used()).as(where).isEqualTo(used);
        int counted = 0;
        for (int s = 0; s < layout.slots(); s++) {
            counted += page.state(s) == SlotState.FREE ? 0 : 1;
        }
        assertThat(counted).as(where).isEqualTo(used);
    }

    private static long[] sortedSet(SplittableRandom random, int count) {
        long[] set = random.longs(count * 2L).distinct().limit(count).toArray();
        List<Long> boxed = new ArrayList<>();
        for (long v : set) {
            boxed.add(v);
        }
        boxed.sort(Long::compareUnsigned);
        if (boxed.size() < count) {
            return sortedSet(random, count);
        }
        return boxed.stream().mapToLong(Long::longValue).toArray();
    }

    private static MemorySegment randomKey(SplittableRandom random, MemorySegment key, int k) {
        for (int i = 0; i < k; i++) {
            key.set(ValueLayout.JAVA_BYTE, i, (byte) random.nextInt(256));
        }
        return key;
    }

    private static String hex(MemorySegment key) {
        return java.util.HexFormat.of().formatHex(key.toArray(ValueLayout.JAVA_BYTE));
    }
}
