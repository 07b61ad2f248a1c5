package dev.hashdir.engine.values;

import dev.hashdir.engine.page.HeapPageSpace;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NavigableSet;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Random operation sequences against a {@code TreeSet<Long>} ordered unsigned, checked after every
 * step; the list then drains to empty. Small pages make deep trees out of a few thousand values.
 * A failure names the seed and the step; rerun one seed with {@code -Dhashdir.test.seed=N}.
 */
class ValueListModelTest {

    private static final int SEEDS = 50;
    private static final int STEPS = 2_000;
    private static final int CHECK_EVERY = 25;
    private static final int[] PAGE_SIZES = {ValueListGeometry.MIN_PAGE_SIZE, 128, 192, 256, 512, 4096};
    private static final int RUN = 700;
    private static final long[] EDGES = {
        0, 1, 2, -1L, -2L, -3L, Long.MIN_VALUE, Long.MIN_VALUE + 1, Long.MAX_VALUE, Long.MAX_VALUE - 1};
    private static final long[] RUN_BASES = {0, Long.MAX_VALUE - RUN / 2, -RUN, 1L << 40};

    static LongStream seeds() {
        String one = System.getProperty("hashdir.test.seed");
        return one != null ? LongStream.of(Long.parseLong(one)) : LongStream.range(0, SEEDS).map(i -> 0x5EED_0000L + i);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void behavesLikeAnUnsignedSortedSet(long seed) {
        new Run(seed).run();
    }

    private static final class Run {
        private final long seed;
        private final SplittableRandom random;
        private final int pageSize;
        private final HeapPageSpace space;
        private final ValueList list;
        private final ValueListGeometry geometry;
        private final NavigableSet<Long> model = new TreeSet<>(Long::compareUnsigned);
        private final List<Long> added = new ArrayList<>();
        private final long[] out = new long[1024];
        private long root;
        private int step;
        private int heightBefore;
        private int maxHeight;
        private String op = "create";

        Run(long seed) {
            this.seed = seed;
            this.random = new SplittableRandom(seed);
            this.pageSize = PAGE_SIZES[random.nextInt(PAGE_SIZES.length)];
            this.space = new HeapPageSpace(pageSize, random.nextBoolean());
            this.list = new ValueList(space);
            this.geometry = new ValueListGeometry(pageSize);
        }

        void run() {
            try (space) {
                create();
                for (step = 0; step < STEPS; step++) {
                    guarded(this::randomStep);
                }
                guarded(this::assertTreeGrew);
                drain();
                guarded(this::destroy);
            }
        }

        private void guarded(Runnable action) {
            try {
                action.run();
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("seed=" + seed + ", step=" + step + ", op=" + op + ", pageSize=" + pageSize
                        + ", size=" + model.size() + " (rerun: -Dhashdir.test.seed=" + seed + "): " + e.getMessage(), e);
            }
        }

        private void create() {
            int n = random.nextInt(3) == 0 ? random.nextInt(3 * geometry.leafCapacity + 2) : 0;
            for (int i = 0; i < n; i++) {
                model.add(nextValue());
            }
            long[] values = model.stream().mapToLong(Long::longValue).toArray();
            guarded(() -> {
                root = list.create(values, 0, values.length);
                space.endOperation();
                verify();
                assertPagesMatch();
            });
        }

        private void randomStep() {
            double addShare = new double[]{0.9, 0.55, 0.3, 0.55}[step * 4 / STEPS];
            double r = random.nextDouble();
            if (r < 0.8 * addShare) {
                add(nextValue());
            } else if (r < 0.8) {
                remove(random.nextInt(10) < 7 && !added.isEmpty() ? added.get(random.nextInt(added.size())) : nextValue());
            } else if (r < 0.9) {
                contains(nextValue());
            } else {
                readPage();
            }
            verify();
            if (step % CHECK_EVERY == 0) {
                assertPagesMatch();
            }
        }

        private void add(long v) {
            op = "add " + Long.toUnsignedString(v);
            beginOperation();
            added.add(v);
            assertThat(list.add(root, v)).as("add result").isEqualTo(model.add(v));
            assertAccessBound(4);
        }

        private void remove(long v) {
            op = "remove " + Long.toUnsignedString(v);
            beginOperation();
            assertThat(list.remove(root, v)).as("remove result").isEqualTo(model.remove(v));
            assertAccessBound(8);
        }

        private void contains(long v) {
            op = "contains " + Long.toUnsignedString(v);
            beginOperation();
            assertThat(list.contains(root, v)).as("contains").isEqualTo(model.contains(v));
            assertAccessBound(1);
        }

        private void readPage() {
            boolean hasAfter = random.nextInt(4) != 0;
            long after = nextValue();
            int limit = 1 + random.nextInt(64);
            op = "read after=" + (hasAfter ? Long.toUnsignedString(after) : "none") + " limit=" + limit;
            beginOperation();
            int n = list.read(root, hasAfter, after, limit, out);
            Iterator<Long> expected = (hasAfter ? model.tailSet(after, false) : model).iterator();
            for (int i = 0; i < n; i++) {
                assertThat(expected.hasNext()).as("read returned more than the model holds, at %d", i).isTrue();
                assertThat(Long.toUnsignedString(out[i])).as("read value %d", i).isEqualTo(Long.toUnsignedString(expected.next()));
            }
            assertThat(n == limit || !expected.hasNext()).as("read stopped early at %d of %d", n, limit).isTrue();
            int leaves = Math.ceilDiv(limit, geometry.minFill(true)) + 3;
            assertAccessBound(leaves);
        }

        /** Small pages must have grown index levels, or this run tested little of the tree. */
        private void assertTreeGrew() {
            op = "coverage";
            if (pageSize <= 256) {
                assertThat(maxHeight).as("highest tree seen").isGreaterThanOrEqualTo(3);
            }
        }

        private void beginOperation() {
            heightBefore = list.height(root);
            maxHeight = Math.max(maxHeight, heightBefore);
            space.endOperation();
        }

        /** Accesses in this operation against the height before or after: O(height) per unit of work. */
        private void assertAccessBound(int perLevel) {
            long accesses = space.accessesThisOperation();
            space.endOperation();
            int height = Math.max(heightBefore, list.height(root));
            space.endOperation();
            assertThat(accesses).as("pages accessed (height %d)", height).isLessThanOrEqualTo((long) perLevel * (height + 1) + 4);
        }

        private void drain() {
            List<Long> rest = new ArrayList<>(model);
            for (int i = rest.size() - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                Long t = rest.get(i);
                rest.set(i, rest.get(j));
                rest.set(j, t);
            }
            for (Long v : rest) {
                step++;
                guarded(() -> {
                    remove(v);
                    verify();
                    if (step % CHECK_EVERY == 0) {
                        assertPagesMatch();
                    }
                });
            }
            guarded(() -> {
                op = "drained";
                assertThat(list.check(root)).as("pages of an empty list").isEqualTo(1);
                assertThat(list.height(root)).as("height of an empty list").isEqualTo(1);
            });
        }

        private void destroy() {
            op = "destroy";
            list.destroy(root);
            space.endOperation();
            assertThat(space.livePages()).as("live pages after destroy").isZero();
        }

        private void verify() {
            assertThat(list.count(root)).as("count").isEqualTo(model.size());
            for (int i = 0; i < 3; i++) {
                long v = nextValue();
                assertThat(list.contains(root, v)).as("contains %s", Long.toUnsignedString(v)).isEqualTo(model.contains(v));
            }
            assertFullRead();
            space.endOperation();
        }

        /** Pages through the whole list, with a page size giving about 8 to 16 pages. */
        private void assertFullRead() {
            int limit = Math.min(out.length, Math.max(1, model.size() / 8) + random.nextInt(8));
            Iterator<Long> expected = model.iterator();
            boolean hasAfter = false;
            long after = 0;
            int index = 0;
            int n;
            do {
                n = list.read(root, hasAfter, after, limit, out);
                for (int i = 0; i < n; i++, index++) {
                    assertThat(expected.hasNext()).as("full read: more values than the model, at %d", index).isTrue();
                    long want = expected.next();
                    if (out[i] != want) {
                        assertThat(Long.toUnsignedString(out[i])).as("full read value %d", index).isEqualTo(Long.toUnsignedString(want));
                    }
                }
                hasAfter = true;
                after = n > 0 ? out[n - 1] : after;
                space.endOperation();
            } while (n == limit);
            assertThat(expected.hasNext()).as("full read ended at %d of %d", index, model.size()).isFalse();
        }

        private void assertPagesMatch() {
            long pages = list.check(root);
            space.endOperation();
            assertThat(space.livePages()).as("live pages against pages in the list").isEqualTo(pages);
        }

        private long nextValue() {
            return switch (random.nextInt(10)) {
                case 0 -> EDGES[random.nextInt(EDGES.length)];
                case 1, 2, 3, 4 -> RUN_BASES[random.nextInt(RUN_BASES.length)] + random.nextInt(RUN);
                case 5, 6, 7 -> added.isEmpty() ? random.nextLong() : added.get(random.nextInt(added.size()));
                default -> random.nextLong();
            };
        }
    }
}
