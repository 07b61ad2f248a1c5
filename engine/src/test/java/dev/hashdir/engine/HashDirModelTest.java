package dev.hashdir.engine;

import dev.hashdir.engine.store.StoreOptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Seeded random operations against a plain map of unsigned sorted sets, compared after every step
 * (the touched key fully), fully every {@value #FULL_CHECK_EVERY} steps (every key, a full scan,
 * the structural checker, the stats), with close and reopen in the middle. Scenarios rotate with
 * the seed: default sizes; a 256-frame cache (eviction on every operation); a directory bound of 2
 * (overflow chains); 16-byte keys with a tiny inline budget (promotion and demotion all the time);
 * directory chunks of 4 entries (incremental resizing at small sizes).
 */
class HashDirModelTest {

    /** {@code -Dhashdir.model.scale=K} multiplies steps and key space by K (deeper directories; not for CI). */
    private static final int SCALE = Integer.getInteger("hashdir.model.scale", 1);
    private static final int STEPS = 3200 * SCALE;
    private static final int GROW_UNTIL = 1000 * SCALE;
    private static final int SHRINK_FROM = 1700 * SCALE;
    private static final int DRAIN_FROM = 2400 * SCALE;
    private static final int HOT_KEYS = 8;
    private static final int FULL_CHECK_EVERY = 250 * SCALE;

    @TempDir
    Path tmp;

    /** What a scenario is for: each run asserts it reached it. */
    enum Goal { SPLITS, MERGES, HALVING, PROMOTIONS, DEMOTIONS, EVICTION, OVERFLOW, RESIZE_IN_STEPS }

    record Scenario(String name, int keyBytes, HashDirConfig config, HashDir.Tuning tuning, int keySpace,
                    java.util.Set<Goal> goals) {
    }

    /** 25 seeds in CI; {@code -Dhashdir.model.seeds=N} runs more, {@code -Dhashdir.model.seed=S} just one. */
    static LongStream seeds() {
        Long one = Long.getLong("hashdir.model.seed");
        return one != null ? LongStream.of(one) : LongStream.rangeClosed(1, Long.getLong("hashdir.model.seeds", 25));
    }

    static Scenario scenario(long seed) {
        HashDirConfig d = HashDirConfig.defaults();
        java.util.Set<Goal> common = java.util.EnumSet.of(Goal.SPLITS, Goal.MERGES, Goal.HALVING, Goal.PROMOTIONS,
                Goal.DEMOTIONS);
        return switch ((int) (seed % 5)) {
            case 0 -> new Scenario("defaults", 32, d, HashDir.Tuning.DEFAULT, 3000, common);
            case 1 -> new Scenario("a cache of 12 frames", 32, d.withCacheBytes(HashDirConfig.MIN_CACHE_BYTES),
                    new HashDir.Tuning(12, 12), 3000, java.util.EnumSet.of(Goal.SPLITS, Goal.MERGES, Goal.HALVING,
                    Goal.PROMOTIONS, Goal.DEMOTIONS, Goal.EVICTION));
            case 2 -> new Scenario("depth bound 2", 32, d.withMaxGlobalDepth(2), HashDir.Tuning.DEFAULT, 1500,
                    java.util.EnumSet.of(Goal.OVERFLOW, Goal.MERGES, Goal.PROMOTIONS, Goal.DEMOTIONS));
            case 3 -> new Scenario("16-byte keys, inline 3", 16, d.withInline(3, 1).withMergeThreshold(0.6),
                    HashDir.Tuning.DEFAULT, 3000, common);
            default -> new Scenario("directory chunks of 2", 20, d.withMaxGlobalDepth(12), new HashDir.Tuning(1, 0), 3000,
                    java.util.EnumSet.of(Goal.SPLITS, Goal.MERGES, Goal.HALVING, Goal.PROMOTIONS, Goal.RESIZE_IN_STEPS));
        };
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void agreesWithAMapOfSortedSets(long seed) throws Exception {
        Scenario sc = scenario(seed);
        new Run(seed, sc, tmp).run();
    }

    private static final class Run {
        final long seed;
        final Scenario sc;
        final Path path;
        final SplittableRandom random;
        final TreeMap<byte[], TreeSet<Long>> model = new TreeMap<>(Arrays::compareUnsigned);
        final List<byte[]> keys = new ArrayList<>();
        final GetResult got = new GetResult(64);
        final ScanResult scanned;
        HashDir hd;
        int step;
        long splits;
        long merges;
        long misses;
        long promotions;
        long demotions;
        long maxOverflowPages;
        int maxDepth;
        int depthAfterMax;
        long resizingSeen;

        Run(long seed, Scenario sc, Path path) {
            this.seed = seed;
            this.sc = sc;
            this.path = path;
            this.random = new SplittableRandom(seed);
            this.scanned = new ScanResult(sc.keyBytes(), 500);
            for (int i = 0; i < sc.keySpace() * SCALE; i++) {
                keys.add(newKey(i));
            }
        }

        /** Random keys; a tenth of them share their first 8 bytes with others (crowded prefixes). */
        byte[] newKey(int i) {
            byte[] k = new byte[sc.keyBytes()];
            random.nextBytes(k);
            if (i % 10 == 0 && i > 0) {
                System.arraycopy(keys.get(random.nextInt(i)), 0, k, 0, 8);
            }
            return k;
        }

        void run() throws Exception {
            hd = HashDir.create(path, new StoreOptions(sc.keyBytes(), 4096), sc.config(), sc.tuning());
            try {
                for (step = 0; step < STEPS; step++) {
                    one();
                    if (step % FULL_CHECK_EVERY == FULL_CHECK_EVERY - 1) {
                        fullCheck();
                    }
                }
                fullCheck();
                reopen();
                fullCheck();
            } finally {
                tally();
                hd.close();
            }
            assertExercised();
        }

        /** Each scenario has to reach what it is there for, or it proves nothing. */
        void assertExercised() {
            String what = "seed " + seed + " (" + sc.name() + "): splits=" + splits + ", merges=" + merges + ", misses="
                    + misses + ", promotions=" + promotions + ", demotions=" + demotions + ", overflow="
                    + maxOverflowPages + ", resizingSeen=" + resizingSeen + ", keys at end=" + model.size() + ", depth max=" + maxDepth + " then down to " + depthAfterMax;
            System.out.println(what);
            java.util.Map<Goal, Boolean> reached = new java.util.EnumMap<>(Goal.class);
            reached.put(Goal.SPLITS, splits > 0);
            reached.put(Goal.MERGES, merges > 0);
            reached.put(Goal.HALVING, depthAfterMax < maxDepth);
            reached.put(Goal.PROMOTIONS, promotions > 0);
            reached.put(Goal.DEMOTIONS, demotions > 0);
            reached.put(Goal.EVICTION, misses > 1000);
            reached.put(Goal.OVERFLOW, maxOverflowPages > 0);
            reached.put(Goal.RESIZE_IN_STEPS, resizingSeen > 0);
            for (Goal g : sc.goals()) {
                assertThat(reached.get(g)).as(what + ": goal " + g).isTrue();
            }
        }

        void tally() {
            splits += hd.index().splitter().splits();
            merges += hd.index().merger().merges();
            misses += hd.cache().misses();
            promotions += hd.index().promotions();
            demotions += hd.index().demotions();
        }

        String where(String op) {
            return "seed " + seed + " (" + sc.name() + ") step " + step + " " + op;
        }

        /** A key of the key space, often a hot one (sets that grow and shrink); while shrinking, mostly a present one. */
        byte[] pickKey() {
            if (random.nextInt(step >= DRAIN_FROM ? 12 : step >= SHRINK_FROM ? 3 : 5) == 0) {
                return keys.get(random.nextInt(HOT_KEYS));
            }
            byte[] key = keys.get(random.nextInt(keys.size()));
            if (step >= SHRINK_FROM && random.nextInt(step >= DRAIN_FROM ? 20 : 5) != 0 && !model.isEmpty()) {
                byte[] present = model.ceilingKey(key);
                return present != null ? present : model.firstKey();
            }
            return key;
        }

        boolean hot(byte[] key) {
            for (int i = 0; i < HOT_KEYS; i++) {
                if (keys.get(i) == key) {
                    return true;
                }
            }
            return false;
        }

        /** An operation number 0..99 whose mix depends on the phase: grow, mixed, shrink. */
        int pickOp() {
            int op = random.nextInt(100);
            if (step < GROW_UNTIL) {
                return op < 60 ? op / 2 : op < 75 ? 33 + (op - 60) * 2 / 3 : op < 85 ? 43 + op - 75 : op;
            }
            if (step >= DRAIN_FROM) {
                return op < 10 ? 43 + op : op < 85 ? 63 + (op - 10) % 4 : op;
            }
            if (step >= SHRINK_FROM) {
                return op < 20 ? 43 + op : op < 55 ? 63 + (op - 20) % 4 : op;
            }
            return op;
        }

        void one() throws Exception {
            byte[] key = pickKey();
            TreeSet<Long> set = model.get(key);
            int op = pickOp();
            if (op >= 63 && op < 67 && step >= SHRINK_FROM && hot(key)) {
                op = 43; // hot sets shrink value by value, so they get demoted
            }
            if (op < 33) {
                long v = value(set);
                boolean added = set == null || !set.contains(v);
                assertThat(hd.put(key, v)).as(where("put")).isEqualTo(added ? 1 : 0);
                model.computeIfAbsent(key, k -> unsignedSet()).add(v);
            } else if (op < 43) {
                putAll(key, set);
            } else if (op < 63) {
                long v = step >= GROW_UNTIL && set != null && random.nextInt(10) < 8 ? pick(set) : value(set);
                boolean present = set != null && set.contains(v);
                assertThat(hd.remove(key, v)).as(where("remove")).isEqualTo(present);
                if (present) {
                    set.remove(v);
                    if (set.isEmpty()) {
                        model.remove(key);
                    }
                }
            } else if (op < 67) {
                assertThat(hd.delete(key)).as(where("delete")).isEqualTo(set == null ? 0 : set.size());
                model.remove(key);
            } else if (op < 77) {
                getPage(key, set);
            } else if (op < 87) {
                long v = value(set);
                assertThat(hd.contains(key, v)).as(where("contains")).isEqualTo(set != null && set.contains(v));
            } else if (op < 92) {
                assertThat(hd.count(key)).as(where("count")).isEqualTo(set == null ? 0 : set.size());
            } else if (op < 99) {
                scanPage();
            } else if (random.nextInt(10) == 0) {
                reopen();
            }
            if (op < 67 && hd.directory().resizing()) {
                resizingSeen++;
            }
            maxOverflowPages = Math.max(maxOverflowPages, hd.stats().overflowPages());
            int depth = hd.directory().globalDepth();
            if (depth > maxDepth) {
                maxDepth = depth;
                depthAfterMax = depth;
            }
            depthAfterMax = Math.min(depthAfterMax, depth);
            compareKey(key);
        }

        void putAll(byte[] key, TreeSet<Long> set) {
            int n = random.nextInt(6) == 0 ? 8 + random.nextInt(random.nextInt(10) == 0 ? 300 : 30) : 1 + random.nextInt(6);
            long[] vs = new long[n + 2];
            for (int i = 0; i < vs.length; i++) {
                vs[i] = value(set);
            }
            int from = 1;
            int to = vs.length - 1;
            TreeSet<Long> after = unsignedSet();
            if (set != null) {
                after.addAll(set);
            }
            int before = after.size();
            for (int i = from; i < to; i++) {
                after.add(vs[i]);
            }
            assertThat(hd.putAll(key, vs, from, to)).as(where("putAll")).isEqualTo(after.size() - before);
            if (!after.isEmpty()) {
                model.put(key, after);
            }
        }

        void getPage(byte[] key, TreeSet<Long> set) {
            int limit = 1 + random.nextInt(got.capacity());
            boolean hasAfter = set != null && random.nextBoolean();
            long after = hasAfter ? (random.nextInt(4) == 0 ? random.nextLong() : pick(set)) : 0;
            hd.get(key, hasAfter, after, limit, got);
            List<Long> expected = new ArrayList<>();
            if (set != null) {
                for (long v : hasAfter ? set.tailSet(after, false) : set) {
                    expected.add(v);
                }
            }
            List<Long> page = expected.subList(0, Math.min(limit, expected.size()));
            assertThat(boxed(got.toArray())).as(where("get limit " + limit)).isEqualTo(page);
            assertThat(got.total()).as(where("get total")).isEqualTo(set == null ? 0 : set.size());
            assertThat(got.more()).as(where("get more")).isEqualTo(expected.size() > limit);
        }

        void scanPage() {
            byte[] cursor = random.nextInt(3) == 0 ? null : keys.get(random.nextInt(keys.size()));
            int limit = 1 + random.nextInt(scanned.capacity());
            hd.scan(cursor, limit, scanned);
            List<byte[]> expected = new ArrayList<>(cursor == null ? model.keySet() : model.tailMap(cursor, false).keySet());
            int n = Math.min(limit, expected.size());
            assertThat(scanned.size()).as(where("scan size")).isEqualTo(n);
            for (int i = 0; i < n; i++) {
                assertThat(scanned.key(i)).as(where("scan key " + i)).isEqualTo(expected.get(i));
            }
            if (expected.size() > limit) {
                assertThat(scanned.more()).as(where("scan more")).isTrue();
            }
        }

        /** The touched key in full: count, and every value through pages of a random size. */
        void compareKey(byte[] key) {
            TreeSet<Long> set = model.get(key);
            assertThat(hd.count(key)).as(where("count after")).isEqualTo(set == null ? 0 : set.size());
            List<Long> all = new ArrayList<>();
            int limit = 1 + random.nextInt(got.capacity());
            hd.get(key, false, 0, limit, got);
            while (true) {
                all.addAll(boxed(got.toArray()));
                if (!got.more()) {
                    break;
                }
                hd.get(key, true, got.value(got.size() - 1), limit, got);
            }
            assertThat(all).as(where("values after")).isEqualTo(set == null ? List.of() : new ArrayList<>(set));
        }

        void fullCheck() {
            for (Map.Entry<byte[], TreeSet<Long>> e : model.entrySet()) {
                assertThat(hd.count(e.getKey())).as(where("full check count")).isEqualTo(e.getValue().size());
                long v = pick(e.getValue());
                assertThat(hd.contains(e.getKey(), v)).as(where("full check contains")).isTrue();
            }
            List<byte[]> all = new ArrayList<>();
            byte[] cursor = null;
            do {
                hd.scan(cursor, scanned.capacity(), scanned);
                for (int i = 0; i < scanned.size(); i++) {
                    all.add(scanned.key(i));
                }
                cursor = scanned.size() > 0 ? scanned.cursor() : cursor;
            } while (scanned.more());
            assertThat(all).as(where("full scan")).hasSize(model.size());
            int i = 0;
            for (byte[] k : model.keySet()) {
                assertThat(all.get(i++)).as(where("full scan key " + (i - 1))).isEqualTo(k);
            }
            IndexChecker.Summary s = new IndexChecker(hd.index(), sc.config().inlineValues()).check();
            long values = model.values().stream().mapToLong(TreeSet::size).sum();
            assertThat(s.keys()).as(where("checker keys")).isEqualTo(model.size());
            assertThat(s.values()).as(where("checker values")).isEqualTo(values);
            Stats stats = hd.stats();
            assertThat(stats.keys()).as(where("stats keys")).isEqualTo(model.size());
            assertThat(stats.values()).as(where("stats values")).isEqualTo(values);
            assertThat(stats.globalDepth()).as(where("depth bound")).isLessThanOrEqualTo(sc.config().maxGlobalDepth());
            hd.cache().endOperation();
        }

        void reopen() throws Exception {
            tally();
            hd.close();
            hd = HashDir.open(path, sc.config(), sc.tuning());
        }

        /** Values from a small range (so removes hit), the full-range edges, or anywhere. */
        long value(TreeSet<Long> set) {
            int r = random.nextInt(10);
            if (set != null && !set.isEmpty() && r < 4) {
                return pick(set);
            }
            if (r < 5) {
                long[] edges = {0, 1, -1, Long.MIN_VALUE, Long.MAX_VALUE, Long.MIN_VALUE + 1};
                return edges[random.nextInt(edges.length)];
            }
            return r < 8 ? random.nextLong(200) - 100 : random.nextLong();
        }

        long pick(TreeSet<Long> set) {
            int skip = random.nextInt(set.size());
            for (long v : set) {
                if (skip-- == 0) {
                    return v;
                }
            }
            throw new AssertionError();
        }
    }

    static TreeSet<Long> unsignedSet() {
        return new TreeSet<>(Long::compareUnsigned);
    }

    static List<Long> boxed(long[] a) {
        List<Long> l = new ArrayList<>();
        for (long v : a) {
            l.add(v);
        }
        return l;
    }
}
