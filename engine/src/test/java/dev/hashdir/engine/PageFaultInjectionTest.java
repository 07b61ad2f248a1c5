package dev.hashdir.engine;

import dev.hashdir.engine.store.FaultyPageIo;
import dev.hashdir.engine.store.PageLostException;
import dev.hashdir.engine.store.PageStore;
import dev.hashdir.engine.store.StoreOptions;
import dev.hashdir.engine.wal.Durability;
import dev.hashdir.engine.wal.FaultyWalDirectory;
import dev.hashdir.engine.wal.WalOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Seeded crash cases with faults under both the WAL ({@link FaultyWalDirectory}) and the page
 * store ({@link FaultyPageIo}, a page-cache model over the real HDF5 file). Each case runs random
 * puts, removes and deletes through {@link DurableHashDir} with a tiny page cache (evictions write
 * pages all the time), group commits, incremental checkpoints, page writes failing as on a full
 * disk, failing fdatasyncs that drop unsynced pages, a full WAL disk, resumes, and crashes that
 * drop, tear, reorder or bit-flip the unsynced page writes (and the WAL's per its own faults),
 * between calls or inside one (a page write, a checkpoint's first or second sync, a WAL write).
 *
 * <p>Checked: while running, every read answers the model of everything applied (also while
 * read-only after a failure); after every crash, recovery yields exactly the model after some LSN
 * L with acknowledged &lt;= L &lt;= appended: nothing acknowledged lost, nothing never written.
 * A failing case prints its seed; rerun it with {@code -Dpage.faults.seed=S -Dpage.faults.cases=1}.
 */
class PageFaultInjectionTest {

    private static final int KEY_BYTES = 16;
    private static final long BASE_SEED = Long.getLong("page.faults.seed", 20_261_121L);
    private static final int CASES = Integer.getInteger("page.faults.cases", 1200);
    private static final HashDirConfig CONFIG = HashDirConfig.defaults().withCacheBytes(1 << 20);
    private static final WalOptions WAL = WalOptions.of(KEY_BYTES, Durability.SYNC);

    @TempDir
    Path tmp;

    private final Map<FaultyPageIo.Fault, Integer> crashes = new EnumMap<>(FaultyPageIo.Fault.class);
    private long pageWriteFailures;
    private long syncFailures;
    private long droppedBySyncFailure;
    private long resumes;
    private long readOnlyChecks;
    private long mutations;
    private long lostSyncReads;
    private long midCallCrashes;
    private final Map<String, Integer> crashSites = new TreeMap<>();

    @Test
    void crashesAndWriteFailuresNeverLoseAcknowledgedChangesNorInventAny() throws IOException {
        Path template = tmp.resolve("template");
        PageStore.init(template, new StoreOptions(KEY_BYTES, 4096));
        long start = System.nanoTime();
        for (int i = 0; i < CASES; i++) {
            long seed = BASE_SEED + i;
            Path dir = tmp.resolve("case" + (i % 2));
            deleteTree(dir);
            Files.createDirectories(dir);
            Files.copy(template.resolve("hashdir.h5"), dir.resolve("hashdir.h5"), StandardCopyOption.REPLACE_EXISTING);
            Case c = new Case(seed, dir);
            try {
                c.run();
            } catch (AssertionError | RuntimeException | IOException e) {
                throw new AssertionError("page fault case " + i + " failed: seed=" + seed
                        + " (rerun alone: -Dpage.faults.seed=" + seed + " -Dpage.faults.cases=1)\nsteps:\n"
                        + String.join("\n", c.log), e);
            } finally {
                c.closeQuietly();
            }
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        System.out.printf("page fault cases=%d in %d ms: crashes=%s, page write failures=%d, sync failures=%d "
                        + "(unsynced writes they dropped=%d), resumes=%d, read-only state checks=%d (reads failed on a page a "
                        + "failed sync lost, WAL not durable=%d), crashes inside a call=%d %s, mutations=%d%n",
                CASES, ms, crashes, pageWriteFailures, syncFailures, droppedBySyncFailure, resumes, readOnlyChecks,
                lostSyncReads, midCallCrashes, crashSites, mutations);
        assertThat(crashes.values().stream().mapToInt(Integer::intValue).sum()).isGreaterThanOrEqualTo(CASES);
        if (CASES >= 100) {
            assertThat(pageWriteFailures).as("page writes failed in some cases").isPositive();
            assertThat(syncFailures).as("syncs failed in some cases").isPositive();
            assertThat(resumes).as("some cases resumed after a page failure").isPositive();
            assertThat(readOnlyChecks).as("reads were checked while read-only").isPositive();
            assertThat(midCallCrashes).as("some crashes came inside a call").isPositive();
            assertThat(crashSites).as("crashes between a checkpoint's meta write and its sync, and inside syncs")
                    .containsKeys("page meta write", "page sync", "page sync (armed)");
        }
    }

    /** One seeded case: the engine under test and the log of every change it reported. */
    private final class Case {

        final Random rnd;
        final Path dir;
        final FaultyPageIo pages;
        final FaultyWalDirectory wal;
        final HashDir.Tuning tuning;
        final List<String> log = new ArrayList<>();
        /** Every change that took effect, by LSN - 1; cut back to what survived after each crash. */
        final List<long[]> changes = new ArrayList<>();
        final int keyCount;
        final Arena arena = Arena.ofConfined();
        final MemorySegment key = arena.allocate(KEY_BYTES, 8);
        final GetResult got = new GetResult(HashDir.MAX_LIMIT);
        final ScanResult scanned = new ScanResult(KEY_BYTES, 512);
        long acked;
        DurableHashDir d;

        Case(long seed, Path dir) {
            this.rnd = new Random(seed);
            this.dir = dir;
            this.pages = new FaultyPageIo(seed, 4096);
            this.wal = new FaultyWalDirectory(seed, 4096);
            int frames = 8 + rnd.nextInt(24);
            this.tuning = new HashDir.Tuning(HashDir.Tuning.DEFAULT.chunkBits(), frames, pages.wrapper());
            this.keyCount = 20 + rnd.nextInt(rnd.nextBoolean() ? 100 : 1500);
            log.add("frames " + frames + ", keys " + keyCount);
        }

        void run() throws IOException {
            open();
            int steps = 15 + rnd.nextInt(80);
            for (int step = 0; step < steps; step++) {
                try {
                    step();
                } catch (FaultyPageIo.SimulatedCrash | FaultyWalDirectory.SimulatedCrash crash) {
                    log.add(crash.getMessage());
                    midCallCrashes++;
                    String where = crash.getMessage().replaceFirst("^simulated crash in ", "");
                    crashSites.merge(crash instanceof FaultyPageIo.SimulatedCrash ? "page " + where
                            : "WAL " + where.split(" ")[0], 1, Integer::sum);
                    if (where.equals("sync (armed)") && d != null && d.checkpointRunning()) {
                        crashSites.merge("page sync inside a checkpoint", 1, Integer::sum);
                    }
                    crashAndCheck();
                }
            }
            crashAndCheck();
        }

        void step() throws IOException {
            int op = rnd.nextInt(100);
            if (op < 4) {
                long n = 1 + rnd.nextInt(rnd.nextBoolean() ? 4 : 40);
                int where = rnd.nextInt(3);
                if (where == 0) {
                    pages.armCrash(n);
                    log.add("page I/O call " + n + " from now crashes");
                } else if (where == 1) {
                    long syncs = 1 + rnd.nextInt(2);
                    pages.armSyncCrash(syncs);
                    log.add("page sync " + syncs + " from now crashes");
                } else {
                    wal.armCrash(n);
                    log.add("WAL I/O call " + n + " from now crashes");
                }
                op = rnd.nextInt(100);
            }
            if (op < 50) {
                mutate(1 + rnd.nextInt(rnd.nextInt(4) == 0 ? 120 : 12));
            } else if (op < 64) {
                commit();
            } else if (op < 72) {
                checkpoint();
            } else if (op < 76) {
                int after = rnd.nextInt(30);
                pages.failWritesAfter(after);
                log.add("page writes fail after " + after + " more");
            } else if (op < 79) {
                int n = 1 + rnd.nextInt(2);
                pages.failNextSyncs(n);
                log.add("next " + n + " page syncs fail (EIO)");
            } else if (op < 81) {
                long limit = wal.usedBytes() + rnd.nextInt(300);
                boolean copyOnWrite = rnd.nextBoolean();
                if (copyOnWrite) {
                    wal.setCopyOnWriteSpaceLimit(limit);
                } else {
                    wal.setSpaceLimit(limit);
                }
                log.add("WAL disk full at " + limit + (copyOnWrite ? " (overwrites too)" : ""));
            } else if (op < 89) {
                resume();
            } else if (op < 95) {
                checkRunningState();
            } else {
                crashAndCheck();
            }
        }

        void open() throws IOException {
            d = DurableHashDir.open(dir, CONFIG, WAL, wal, tuning);
        }

        /** Mutations on a random key: puts (one or many), removes, deletes; the model follows what took effect. */
        void mutate(int n) {
            int done = 0;
            try {
                for (; done < n; done++) {
                    int k = rnd.nextInt(10) == 0 ? rnd.nextInt(3) : rnd.nextInt(keyCount);
                    long v = rnd.nextInt(rnd.nextInt(5) == 0 ? 5000 : 40);
                    int kind = rnd.nextInt(100);
                    boolean changed;
                    if (kind < 55) {
                        changed = d.put(key(k), v) > 0;
                        record(changed, 0, k, v);
                    } else if (kind < 70) {
                        long[] vs = new long[1 + rnd.nextInt(300)];
                        for (int i = 0; i < vs.length; i++) {
                            vs[i] = v + rnd.nextInt(3000);
                        }
                        changed = d.putAll(key(k), vs, 0, vs.length) > 0;
                        if (changed) {
                            long[] c = new long[2 + vs.length];
                            c[0] = 1;
                            c[1] = k;
                            System.arraycopy(vs, 0, c, 2, vs.length);
                            changes.add(c);
                        }
                    } else if (kind < 92) {
                        changed = d.remove(key(k), v);
                        record(changed, 2, k, v);
                    } else {
                        changed = d.delete(key(k)) > 0;
                        record(changed, 3, k, 0);
                    }
                    mutations++;
                }
            } catch (ReadOnlyException e) {
                assertThat(d.readOnlyReason()).as("refused only when read-only").isNotNull();
                log.add("mutations refused after " + done + ": " + d.readOnlyReason());
                return;
            }
            log.add(n + " mutations -> LSN " + changes.size() + (d.readOnlyReason() == null ? ""
                    : " (now read-only: " + d.readOnlyReason() + ")"));
        }

        void record(boolean changed, long kind, int k, long v) {
            if (changed) {
                changes.add(new long[]{kind, k, v});
            }
        }

        void commit() {
            try {
                acked = d.commit();
                assertThat(acked).as("the commit acknowledges every change").isEqualTo(changes.size());
                log.add("commit -> acked " + acked);
            } catch (ReadOnlyException e) {
                log.add("commit refused: " + e.getMessage());
            }
        }

        void checkpoint() throws IOException {
            try {
                if (!d.checkpointRunning()) {
                    d.beginCheckpoint();
                    acked = changes.size(); // begin forces the WAL
                }
                int budget = 1 + rnd.nextInt(rnd.nextBoolean() ? 4 : 1000);
                boolean done = d.checkpointStep(budget);
                log.add("checkpoint step " + budget + " -> " + (done ? "durable" : "running"));
            } catch (ReadOnlyException e) {
                log.add("checkpoint refused or failed: " + e.getMessage());
            }
        }

        void resume() {
            if (rnd.nextBoolean()) {
                pages.clearFailures();
                wal.clearSpaceLimit();
                log.add("space is back");
            }
            String before = d.readOnlyReason();
            long resumesBefore = d.resumes();
            boolean ok = d.tryResume();
            if (d.resumes() > resumesBefore) {
                resumes++;
            }
            if (ok) {
                assertThat(d.readOnlyReason()).isNull();
                if (before != null) {
                    acked = changes.size(); // a resume makes the WAL durable first
                }
            }
            log.add("tryResume (" + before + ") -> " + ok + (ok ? "" : ": " + d.readOnlyReason()));
        }

        void crashAndCheck() throws IOException {
            FaultyPageIo.Fault fault = FaultyPageIo.Fault.values()[rnd.nextInt(FaultyPageIo.Fault.values().length)];
            FaultyWalDirectory.Fault walFault = FaultyWalDirectory.Fault.values()[
                    rnd.nextInt(FaultyWalDirectory.Fault.values().length)];
            pageWriteFailures += pages.failedWrites;
            syncFailures += pages.failedSyncs;
            droppedBySyncFailure += pages.droppedBySyncFailure;
            pages.failedWrites = 0;
            pages.failedSyncs = 0;
            pages.droppedBySyncFailure = 0;
            // the "disks" settle first: whatever the crashed engine's close still tries to write goes
            // to handles the WAL layer has invalidated, and the page layer holds nothing unsynced
            wal.armCrash(0);
            String what = pages.crash(rnd, fault);
            String walWhat = wal.crash(rnd, walFault);
            crashEngine();
            crashes.merge(fault, 1, Integer::sum);
            pages.clearFailures();
            wal.clearSpaceLimit();
            log.add("crash: pages " + what + "; WAL " + walFault + " " + walWhat);
            open();
            long recovered = d.wal().nextLsn() - 1;
            log.add("recovered to LSN " + recovered + " (acked " + acked + ", appended " + changes.size() + ")");
            assertThat(recovered).as("nothing acknowledged is lost").isGreaterThanOrEqualTo(acked);
            assertThat(recovered).as("nothing never appended").isLessThanOrEqualTo(changes.size());
            changes.subList((int) recovered, changes.size()).clear();
            acked = recovered;
            checkState("after recovery");
        }

        /**
         * Reads answer the model, also while read-only. One exception: when a page file sync
         * failed (the fault layer then drops unsynced page writes, as the kernel may, so a row may
         * read back an older image with a valid checksum) and the WAL could not be made durable
         * either, the engine cannot rebuild memory yet; a read that needs a row written since the
         * last good sync must then fail ({@link PageLostException}), never answer.
         */
        void checkRunningState() {
            String failure = d.hashDir().writeFailure();
            try {
                checkState("running, read-only=" + d.readOnlyReason());
            } catch (PageLostException e) {
                assertThat(failure).as("a read fails only after a lost sync: %s", e.getMessage()).isNotNull()
                        .startsWith("syncing");
                assertThat(d.readOnlyReason()).isNotNull();
                lostSyncReads++;
                log.add("a read met a page lost by the failed sync (WAL not durable, no rebuild yet): " + e.getMessage());
                return;
            }
            if (d.readOnlyReason() != null) {
                readOnlyChecks++;
            }
        }

        /**
         * Drops the engine as a crash would. Its close may still try WAL I/O (invalid handles now,
         * which fail) and closes the HDF5 file, whose unsynced page writes the page layer has
         * already settled; nothing it does can reach the settled "disks".
         */
        void crashEngine() {
            try {
                d.crash();
            } catch (IOException | RuntimeException e) {
                log.add("closing the crashed engine failed (as it may): " + e);
            }
            d = null;
        }

        /** Every read answers the model of the changes so far: each key's values, and no other key. */
        void checkState(String when) {
            Map<String, TreeSet<Long>> model = model();
            Map<String, TreeSet<Long>> actual = new TreeMap<>();
            MemorySegment cursor = null;
            MemorySegment cursorBuf = arena.allocate(KEY_BYTES);
            do {
                d.scan(cursor, scanned.capacity(), scanned);
                for (int i = 0; i < scanned.size(); i++) {
                    byte[] k = scanned.key(i);
                    MemorySegment.copy(k, 0, key, ValueLayout.JAVA_BYTE, 0, KEY_BYTES);
                    d.get(key, false, 0, HashDir.MAX_LIMIT, got);
                    TreeSet<Long> values = new TreeSet<>();
                    for (int j = 0; j < got.size(); j++) {
                        values.add(got.value(j));
                    }
                    assertThat(got.total()).as("count of a key").isEqualTo(values.size());
                    actual.put(HexFormat.of().formatHex(k), values);
                }
                if (scanned.size() > 0) {
                    MemorySegment.copy(scanned.cursor(), 0, cursorBuf, ValueLayout.JAVA_BYTE, 0, KEY_BYTES);
                    cursor = cursorBuf;
                }
            } while (scanned.more());
            assertThat(actual).as("state %s (LSN %d)", when, changes.size()).isEqualTo(model);
        }

        Map<String, TreeSet<Long>> model() {
            Map<Integer, TreeSet<Long>> m = new TreeMap<>();
            for (long[] c : changes) {
                int k = (int) c[1];
                switch ((int) c[0]) {
                    case 0 -> m.computeIfAbsent(k, x -> new TreeSet<>()).add(c[2]);
                    case 1 -> {
                        TreeSet<Long> s = m.computeIfAbsent(k, x -> new TreeSet<>());
                        for (int i = 2; i < c.length; i++) {
                            s.add(c[i]);
                        }
                    }
                    case 2 -> {
                        TreeSet<Long> s = m.get(k);
                        s.remove(c[2]);
                        if (s.isEmpty()) {
                            m.remove(k);
                        }
                    }
                    default -> m.remove(k);
                }
            }
            Map<String, TreeSet<Long>> byKey = new TreeMap<>();
            m.forEach((k, s) -> byKey.put(HexFormat.of().formatHex(keyBytes(k)), s));
            return byKey;
        }

        MemorySegment key(int k) {
            MemorySegment.copy(keyBytes(k), 0, key, ValueLayout.JAVA_BYTE, 0, KEY_BYTES);
            return key;
        }

        void closeQuietly() {
            if (d != null) {
                try {
                    d.crash();
                } catch (IOException | RuntimeException e) {
                    // the case failed already
                }
            }
            arena.close();
        }
    }

    /** Digest-like key number k. */
    private static byte[] keyBytes(int k) {
        SplittableRandom r = new SplittableRandom(0x5EEDL * 31 + k);
        byte[] b = new byte[KEY_BYTES];
        for (int i = 0; i < KEY_BYTES; i += 8) {
            long x = r.nextLong();
            for (int j = 0; j < 8; j++) {
                b[i + j] = (byte) (x >>> (8 * j));
            }
        }
        return b;
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (var walk = Files.walk(p)) {
            for (Path q : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        }
    }
}
