package dev.hashdir.engine.values;

import dev.hashdir.engine.page.HeapPageSpace;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;

import static org.assertj.core.api.Assertions.assertThat;

/** The hot paths (add, remove, contains, read, count) allocate nothing once warm. */
class ValueListAllocationTest {

    private static final int VALUES = 20_000;
    private static final long STEP = 3;

    @Test
    void hotPathsAllocateNothing() {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assertThat(threads.isThreadAllocatedMemorySupported()).isTrue();
        long[] values = ValueListCreateTest.ascendingAcrossTheSignBit(VALUES);
        try (HeapPageSpace space = new HeapPageSpace(4096)) {
            ValueList list = new ValueList(space);
            long root = list.create(values, 0, VALUES);
            long[] out = new long[256];
            // warm-up: one add into every full leaf splits it once; later adds find room
            long sink = rounds(list, space, root, values, out, VALUES);
            long before = threads.getCurrentThreadAllocatedBytes();
            sink += rounds(list, space, root, values, out, 100_000);
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertThat(sink).isPositive();
            assertThat(allocated).as("bytes allocated by 100,000 rounds of add, contains, remove, read, count")
                    .isLessThan(16 * 1024);
            assertThat(list.count(root)).isEqualTo(VALUES);
            list.check(root);
        }
    }

    private static long rounds(ValueList list, HeapPageSpace space, long root, long[] values, long[] out, int n) {
        long sink = 0;
        for (int i = 0; i < n; i++) {
            long absent = values[i % values.length] + 1;
            sink += list.add(root, absent) ? 1 : 0;
            sink += list.contains(root, absent) ? 1 : 0;
            sink += list.remove(root, absent) ? 1 : 0;
            sink += list.read(root, true, absent, out.length, out);
            sink += list.count(root);
            space.endOperation();
        }
        return sink;
    }
}
