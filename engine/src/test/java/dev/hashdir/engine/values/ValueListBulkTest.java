package dev.hashdir.engine.values;

import dev.hashdir.engine.page.HeapPageSpace;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** Large lists on 4 KiB pages: 10 million values on one key, bulk removal. Times go to the test output. */
class ValueListBulkTest {

    private static final int PAGE_SIZE = 4096;
    private static final long STEP = 3;

    @Test
    void tenMillionAscendingValuesOnOneKey() {
        int n = 10_000_000;
        long first = Long.MIN_VALUE - STEP * (n / 2); // the values cross 2^63 halfway
        try (HeapPageSpace space = new HeapPageSpace(PAGE_SIZE)) {
            ValueList list = new ValueList(space);
            long root = list.create(new long[0], 0, 0);
            space.endOperation();

            long start = System.nanoTime();
            long refused = 0;
            for (int i = 0; i < n; i++) {
                refused += list.add(root, first + STEP * i) ? 0 : 1;
                space.endOperation();
            }
            long addNanos = System.nanoTime() - start;
            long maxAccessesPerAdd = space.maxAccessesPerOperation();

            assertThat(refused).isZero();
            assertThat(list.count(root)).isEqualTo(n);
            assertThat(list.height(root)).isEqualTo(3);
            assertThat(maxAccessesPerAdd).as("pages accessed by one add").isLessThanOrEqualTo(4 * 4 + 4);
            long pages = list.check(root);
            assertThat(space.livePages()).isEqualTo(pages);
            long fullTree = ValueListCreateTest.fullTreePages(PAGE_SIZE, n);
            assertThat(pages).as("appending leaves full pages").isLessThanOrEqualTo(fullTree + 2);
            space.endOperation();

            assertMembership(list, root, first, n);
            assertPages(list, root, first, n);
            long scanNanos = scanAll(list, root, first, n, space);

            start = System.nanoTime();
            list.destroy(root);
            long destroyNanos = System.nanoTime() - start;
            assertThat(space.livePages()).isZero();

            System.out.printf("10M ascending adds: %d ms (%.0f ns/add, max %d page accesses per add), %d pages (%d full), "
                            + "full scan %d ms, destroy %d ms%n", addNanos / 1_000_000, (double) addNanos / n,
                    maxAccessesPerAdd, pages, fullTree, scanNanos / 1_000_000, destroyNanos / 1_000_000);
        }
    }

    @Test
    void ascendingRemovalDrainsAMillionValuesToTheRootPage() {
        int n = 1_000_000;
        long[] values = ValueListCreateTest.ascendingAcrossTheSignBit(n);
        try (HeapPageSpace space = new HeapPageSpace(PAGE_SIZE)) {
            ValueList list = new ValueList(space);
            long root = list.create(values, 0, n);
            space.endOperation();
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                assertThat(list.remove(root, values[i])).isTrue();
                space.endOperation();
                if (i % 100_000 == 0) {
                    assertThat(list.check(root)).isEqualTo(space.livePages());
                    space.endOperation();
                }
            }
            long removeNanos = System.nanoTime() - start;
            assertThat(list.count(root)).isZero();
            assertThat(list.check(root)).isEqualTo(1);
            assertThat(space.livePages()).isEqualTo(1);
            System.out.printf("1M ascending removes: %d ms%n", removeNanos / 1_000_000);
        }
    }

    @Test
    void randomRemovalKeepsPagesAtLeastAQuarterFull() {
        int n = 300_000;
        long[] values = ValueListCreateTest.ascendingAcrossTheSignBit(n);
        SplittableRandom random = new SplittableRandom(0x5EEDL);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            long t = values[i];
            values[i] = values[j];
            values[j] = t;
        }
        try (HeapPageSpace space = new HeapPageSpace(PAGE_SIZE)) {
            ValueList list = new ValueList(space);
            long root = list.create(new long[0], 0, 0);
            for (long v : values) {
                list.add(root, v);
                space.endOperation();
            }
            int kept = n / 20;
            for (int i = kept; i < n; i++) {
                assertThat(list.remove(root, values[i])).isTrue();
                space.endOperation();
            }
            assertThat(list.count(root)).isEqualTo(kept);
            long pages = list.check(root); // enforces the fill guarantee page by page
            int quarterLeaf = ValueListLayout.leafCapacity(PAGE_SIZE) / 4;
            assertThat(pages).as("pages holding %d values", kept).isLessThanOrEqualTo(kept / quarterLeaf + 4);
            assertThat(space.livePages()).isEqualTo(pages);
        }
    }

    private static void assertMembership(ValueList list, long root, long first, int n) {
        for (int i : new int[]{0, 1, n / 2 - 1, n / 2, n / 2 + 1, n - 2, n - 1}) {
            long v = first + STEP * i;
            assertThat(list.contains(root, v)).as("contains value %d", i).isTrue();
            assertThat(list.contains(root, v + 1)).as("contains value %d + 1", i).isFalse();
        }
        assertThat(list.contains(root, 0)).isFalse();
        assertThat(list.contains(root, -1L)).isFalse();
    }

    /** Pages at the start, across the middle (2^63), and at the end. */
    private static void assertPages(ValueList list, long root, long first, int n) {
        long[] out = new long[1000];
        assertThat(list.read(root, false, 0, 1000, out)).isEqualTo(1000);
        assertRun(out, 1000, first);
        int middle = n / 2 - 500;
        assertThat(list.read(root, true, first + STEP * (middle - 1), 1000, out)).isEqualTo(1000);
        assertRun(out, 1000, first + STEP * middle);
        assertThat(out[500]).isEqualTo(Long.MIN_VALUE);
        assertThat(list.read(root, true, first + STEP * (n - 3), 1000, out)).isEqualTo(2);
        assertRun(out, 2, first + STEP * (n - 2));
        assertThat(list.read(root, true, first + STEP * (n - 1), 1000, out)).isZero();
        assertThat(list.read(root, true, first + STEP * (n - 1) - 1, 1000, out)).isEqualTo(1);
    }

    private static long scanAll(ValueList list, long root, long first, int n, HeapPageSpace space) {
        long start = System.nanoTime();
        long[] out = new long[4096];
        long index = 0;
        boolean hasAfter = false;
        long after = 0;
        int got;
        while ((got = list.read(root, hasAfter, after, out.length, out)) > 0) {
            for (int i = 0; i < got; i++, index++) {
                if (out[i] != first + STEP * index) {
                    assertThat(out[i]).as("scan value %d", index).isEqualTo(first + STEP * index);
                }
            }
            hasAfter = true;
            after = out[got - 1];
            space.endOperation();
        }
        assertThat(index).isEqualTo(n);
        return System.nanoTime() - start;
    }

    private static void assertRun(long[] out, int n, long from) {
        for (int i = 0; i < n; i++) {
            assertThat(out[i]).as("value %d of the page", i).isEqualTo(from + STEP * i);
        }
    }
}
