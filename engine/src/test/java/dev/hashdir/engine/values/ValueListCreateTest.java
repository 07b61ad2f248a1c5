package dev.hashdir.engine.values;

import dev.hashdir.engine.page.HeapPageSpace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

class ValueListCreateTest {

    private static final long STEP = 3;

    /** Sizes around the leaf and index capacities of each page size. */
    static Stream<Arguments> sizes() {
        return Stream.of(256, 4096).flatMap(pageSize -> {
            int leaf = ValueListLayout.leafCapacity(pageSize);
            int index = ValueListLayout.indexCapacity(pageSize);
            return Stream.of(0, 1, leaf, leaf + 1, 2 * leaf + 1, leaf * index, leaf * index + 1, 3 * leaf * index + 7)
                    .map(n -> Arguments.of(pageSize, n));
        });
    }

    @ParameterizedTest(name = "pageSize={0}, n={1}")
    @MethodSource("sizes")
    void createsAFullTreeOfTheValues(int pageSize, int n) {
        long[] values = ascendingAcrossTheSignBit(n);
        try (HeapPageSpace space = new HeapPageSpace(pageSize)) {
            ValueList list = new ValueList(space);
            long root = list.create(values, 0, n);
            space.endOperation();

            assertThat(list.count(root)).isEqualTo(n);
            assertThat(list.check(root)).isEqualTo(fullTreePages(pageSize, n));
            assertThat(space.livePages()).isEqualTo(fullTreePages(pageSize, n));
            assertThat(readAll(list, root, n + 1)).isEqualTo(values);
            for (long v : values) {
                if (!list.contains(root, v) || list.contains(root, v + 1)) {
                    fail("membership wrong around " + Long.toUnsignedString(v) + ": contains(v)="
                            + list.contains(root, v) + ", contains(v + 1)=" + list.contains(root, v + 1));
                }
            }
            space.endOperation();
            assertStillWorks(list, root, values);
            list.destroy(root);
            assertThat(space.livePages()).isZero();
        }
    }

    @Test
    void createsFromASubrangeWithTheExtremeValues() {
        long[] values = {7, 0, 1, Long.MAX_VALUE, Long.MIN_VALUE, -2L, -1L, 5};
        try (HeapPageSpace space = new HeapPageSpace(128)) {
            ValueList list = new ValueList(space);
            long root = list.create(values, 1, 7);
            assertThat(list.count(root)).isEqualTo(6);
            assertThat(readAll(list, root, 10)).containsExactly(0, 1, Long.MAX_VALUE, Long.MIN_VALUE, -2L, -1L);
            assertThat(list.contains(root, 7)).isFalse();
            assertThat(list.contains(root, 5)).isFalse();
            assertThat(list.check(root)).isEqualTo(1);
        }
    }

    @Test
    void refusesValuesNotStrictlyAscendingUnsignedAndAllocatesNothing() {
        try (HeapPageSpace space = new HeapPageSpace(4096)) {
            ValueList list = new ValueList(space);
            assertThatThrownBy(() -> list.create(new long[]{1, 3, 2}, 0, 3))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("index=2");
            assertThatThrownBy(() -> list.create(new long[]{5, 5}, 0, 2))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> list.create(new long[]{-1L, 0}, 0, 2)) // ascending signed, not unsigned
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("18446744073709551615");
            assertThatThrownBy(() -> list.create(new long[]{1, 2}, 1, 3))
                    .isInstanceOf(IndexOutOfBoundsException.class);
            assertThat(space.livePages()).isZero();
        }
    }

    @Test
    void refusesPagesTooSmallForFourChildren() {
        try (HeapPageSpace space = new HeapPageSpace(ValueListGeometry.MIN_PAGE_SIZE - 8)) {
            assertThatThrownBy(() -> new ValueList(space)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("pageSize=" + (ValueListGeometry.MIN_PAGE_SIZE - 8));
        }
    }

    /** Adds at both ends and in the middle, removes some, and the tree stays sound. */
    private static void assertStillWorks(ValueList list, long root, long[] values) {
        long below = values.length > 0 ? values[0] - 1 : 0;
        long middle = values.length > 0 ? values[values.length / 2] + 1 : 1;
        long above = values.length > 0 ? values[values.length - 1] + 2 : 2; // values are 3 apart
        assertThat(list.add(root, below)).isTrue();
        assertThat(list.add(root, middle)).isTrue();
        assertThat(list.add(root, above)).isTrue();
        assertThat(list.add(root, middle)).isFalse();
        assertThat(list.remove(root, middle)).isTrue();
        assertThat(list.remove(root, middle)).isFalse();
        assertThat(list.count(root)).isEqualTo(values.length + 2L);
        assertThat(list.contains(root, below)).isTrue();
        assertThat(list.contains(root, above)).isTrue();
        list.check(root);
    }

    static long[] ascendingAcrossTheSignBit(int n) {
        long[] values = new long[n];
        long first = Long.MIN_VALUE - STEP * (n / 2);
        for (int i = 0; i < n; i++) {
            values[i] = first + STEP * i;
        }
        return values;
    }

    static long[] readAll(ValueList list, long root, int max) {
        long[] out = new long[max];
        int n = list.read(root, false, 0, max, out);
        return Arrays.copyOf(out, n);
    }

    /** Pages of a tree of full pages holding n values. */
    static long fullTreePages(int pageSize, long n) {
        long width = Math.max(1, Math.ceilDiv(n, ValueListLayout.leafCapacity(pageSize)));
        long pages = width;
        while (width > 1) {
            width = Math.ceilDiv(width, ValueListLayout.indexCapacity(pageSize));
            pages += width;
        }
        return pages;
    }
}
