package dev.hashdir.engine;

import dev.hashdir.engine.dir.DirectoryLayout;
import dev.hashdir.engine.page.PageCache;
import dev.hashdir.engine.recovery.RecoveryListener;
import dev.hashdir.engine.recovery.RecoveryProgress;
import dev.hashdir.engine.recovery.WalApplier;
import dev.hashdir.engine.store.PageLayout;
import dev.hashdir.engine.store.PageStore;
import dev.hashdir.engine.store.StoreOptions;
import dev.hashdir.engine.wal.Durability;
import dev.hashdir.engine.wal.FaultyWalDirectory;
import dev.hashdir.engine.wal.FileWalDirectory;
import dev.hashdir.engine.wal.WalIoException;
import dev.hashdir.engine.wal.WalOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Copy-on-write checkpoints, recovery and write failures of {@link DurableHashDir} and {@link HashDir}. */
class DurableHashDirTest {

    private static final int KEY_BYTES = 16;
    private static final long SEED = Long.getLong("hashdir.durable.seed", 77L);
    private static final HashDirConfig CONFIG = HashDirConfig.defaults().withCacheBytes(1 << 20);
    private static final StoreOptions OPTIONS = new StoreOptions(KEY_BYTES, 4096);

    @TempDir
    Path dir;

    private final Arena arena = Arena.ofAuto();
    private final MemorySegment key = arena.allocate(KEY_BYTES);

    private MemorySegment key(int k) {
        key.fill((byte) 0);
        key.set(ValueLayout.JAVA_INT_UNALIGNED, 0, k);
        key.set(ValueLayout.JAVA_INT_UNALIGNED, 4, k * 0x9E3779B9);
        return key;
    }

    @Test
    void anIncrementalCheckpointHoldsTheStateAtItsBeginWhileMutationsGoOn() throws Exception {
        SplittableRandom random = new SplittableRandom(SEED);
        Map<Integer, TreeSet<Long>> atBegin;
        try (HashDir hd = HashDir.create(dir, OPTIONS, CONFIG)) {
            Map<Integer, TreeSet<Long>> model = new HashMap<>();
            randomOps(hd, model, random, 40_000, 20_000);
            atBegin = copy(model);
            hd.beginCheckpoint(123);
            int steps = 0;
            do {
                randomOps(hd, model, random, 20, 20_000); // E+1 changes pages E still has to write
                steps++;
            } while (!hd.checkpointStep(2));
            assertThat(steps).as("the checkpoint took several steps").isGreaterThan(3);
            assertThat(hd.durableMeta().checkpointLsn()).isEqualTo(123);
            randomOps(hd, model, random, 5_000, 20_000); // evicted to fresh rows, never published
            hd.abandon();
        }
        try (HashDir hd = HashDir.open(dir, CONFIG)) {
            assertThat(state(hd, 20_000)).as("seed %d", SEED).isEqualTo(atBegin);
            assertThat(new IndexChecker(hd.index(), CONFIG.inlineValues()).check().keys()).isEqualTo(atBegin.size());
        }
    }

    @Test
    void checkpointStepsHandEveryFdatasyncToTheSyncThreadAndNeverWaitForIt() throws Exception {
        SplittableRandom random = new SplittableRandom(SEED + 3);
        Map<Integer, TreeSet<Long>> model = new HashMap<>();
        Map<Integer, TreeSet<Long>> atBegin;
        List<Thread> syncedOn = new CopyOnWriteArrayList<>();
        Semaphore allowed = new Semaphore(0);
        Thread engine = Thread.currentThread();
        try (HashDir hd = HashDir.create(dir, OPTIONS, CONFIG)) {
            hd.store().syncer(io -> {
                syncedOn.add(Thread.currentThread());
                allowed.acquireUninterruptibly();
                io.fdatasync();
            });
            randomOps(hd, model, random, 20_000, 10_000);
            atBegin = copy(model);
            long epoch = hd.durableMeta().epoch();
            hd.beginCheckpoint(7);
            // every step returns although the data's sync is held: nothing waits on the engine thread
            int held = 0;
            while (held < 20) {
                assertThat(hd.checkpointStep(8)).isFalse();
                randomOps(hd, model, random, 50, 10_000);
                held += syncedOn.isEmpty() ? 0 : 1;
            }
            assertThat(hd.durableMeta().epoch()).as("no meta before the data is durable").isEqualTo(epoch);
            allowed.release(); // the data's sync may finish: the meta follows, synced by the sync thread too
            while (syncedOn.size() < 2) {
                assertThat(hd.checkpointStep(8)).isFalse();
                Thread.sleep(1);
            }
            assertThat(hd.durableMeta().epoch()).as("the meta slot is written after the data sync").isGreaterThan(epoch);
            assertThat(hd.checkpointStep(8)).as("published only after the meta's sync").isFalse();
            allowed.release();
            while (!hd.checkpointStep(8)) {
                Thread.sleep(1);
            }
            assertThat(syncedOn).hasSize(2).doesNotContain(engine);
            assertThat(hd.durableMeta().checkpointLsn()).isEqualTo(7);
            allowed.release(1_000); // close's own checkpoint
            hd.abandon();
        }
        try (HashDir hd = HashDir.open(dir, CONFIG)) {
            assertThat(state(hd, 10_000)).as("seed %d", SEED + 3).isEqualTo(atBegin);
        }
    }

    @Test
    void theWalOptionsCanFollowTheStoresKeyLengthAndAMismatchChangesNothing() throws Exception {
        PageStore.init(dir, new StoreOptions(20, 4096));
        List<Integer> asked = new ArrayList<>();
        MemorySegment key = MemorySegment.ofArray(new byte[20]);
        key.set(ValueLayout.JAVA_BYTE, 0, (byte) 7);
        try (DurableHashDir d = DurableHashDir.open(dir, CONFIG, k -> {
            asked.add(k);
            return WalOptions.of(k, Durability.SYNC);
        }, FileWalDirectory.open(dir.resolve("wal")), RecoveryListener.NONE)) {
            assertThat(d.wal().options().keyBytes()).isEqualTo(20);
            d.put(key, 42);
            d.commit();
        }
        assertThat(asked).as("asked once, with the store's key length").containsExactly(20);
        // WAL options for another key length: refused, the store is left as it was (and unlocked)
        assertThatThrownBy(() -> DurableHashDir.open(dir, CONFIG, k -> WalOptions.of(32, Durability.SYNC),
                FileWalDirectory.open(dir.resolve("wal")), RecoveryListener.NONE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("differ from the store's 20");
        try (DurableHashDir d = DurableHashDir.open(dir, CONFIG, WalOptions.of(20, Durability.SYNC))) {
            assertThat(d.hashDir().count(key)).isEqualTo(1);
        }
    }

    @Test
    void aFailedCheckpointSyncTurnsTheEngineReadOnlyAndLosesNothing() throws Exception {
        SplittableRandom random = new SplittableRandom(SEED + 4);
        Map<Integer, TreeSet<Long>> model = new HashMap<>();
        WalOptions wal = WalOptions.of(KEY_BYTES, Durability.SYNC);
        try (DurableHashDir d = DurableHashDir.create(dir, OPTIONS, CONFIG, wal)) {
            randomOps(d, model, random, 10_000, 5_000);
            d.commit();
            d.hashDir().store().syncer(io -> {
                throw new IOException("injected EIO");
            });
            d.beginCheckpoint();
            assertThatThrownBy(() -> {
                while (!d.checkpointStep(16)) {
                    Thread.sleep(1);
                }
            }).isInstanceOf(ReadOnlyException.class).hasMessageContaining("injected EIO");
            assertThat(d.readOnlyReason()).contains("checkpoint");
            assertThatThrownBy(() -> d.put(key(1), 1)).isInstanceOf(ReadOnlyException.class);
        }
        try (DurableHashDir d = DurableHashDir.open(dir, CONFIG, wal)) {
            assertThat(state(d.hashDir(), 5_000)).as("seed %d", SEED + 4).isEqualTo(model);
        }
    }

    @Test
    void aCheckpointWritesTheDirectoryOfItsBeginOverStepsWhileBucketsSplit() throws Exception {
        int before = 335_000; // about 0.98 full: the next keys split buckets
        int perPage = DirectoryLayout.entriesPerPage(OPTIONS.pageSize());
        int after = before;
        long bucketsAtBegin;
        try (HashDir hd = HashDir.create(dir, OPTIONS, CONFIG)) {
            for (int k = 0; k < before; k++) {
                hd.put(key(k), k);
            }
            bucketsAtBegin = hd.directory().buckets();
            assertThat(bucketsAtBegin).as("a directory of several pages").isGreaterThan(2L * perPage);
            hd.beginCheckpoint(5);
            int steps = 0;
            long bucketsWhenWritten = 0;
            do {
                for (int i = 0; i < 4000; i++, after++) { // new keys: buckets split between the directory's pages
                    hd.put(key(after), after);
                }
                steps++;
                if (steps == 2) {
                    bucketsWhenWritten = hd.directory().buckets();
                }
            } while (!hd.checkpointStep(1));
            assertThat(steps).isGreaterThan(3);
            assertThat(bucketsWhenWritten).as("splits while the directory's pages were written")
                    .isGreaterThan(bucketsAtBegin);
            hd.abandon();
        }
        try (HashDir hd = HashDir.open(dir, CONFIG)) {
            assertThat(hd.directory().buckets()).isEqualTo(bucketsAtBegin);
            for (int k = 0; k < after; k++) {
                assertThat(hd.contains(key(k), k)).as("key %d", k).isEqualTo(k < before);
            }
            assertThat(new IndexChecker(hd.index(), CONFIG.inlineValues()).check().keys()).isEqualTo(before);
        }
    }

    @Test
    void noRowOfTheLastTwoPublishedCheckpointsIsEverOverwritten() throws Exception {
        SplittableRandom random = new SplittableRandom(SEED + 1);
        try (HashDir hd = HashDir.create(dir, OPTIONS, CONFIG)) {
            hd.cache().trackPublishedRows(true);
            PageStore store = hd.store();
            MemorySegment page = arena.allocate(4096);
            Map<Integer, TreeSet<Long>> model = new HashMap<>();
            Map<Long, Integer> previous = Map.of();
            Map<Long, Integer> latest = Map.of();
            long[] published = new long[0];
            for (int round = 0; round < 12; round++) {
                hd.beginCheckpoint(round);
                do {
                    randomOps(hd, model, random, 300, 5_000);
                    verifyRows(store, page, previous);
                    verifyRows(store, page, latest);
                } while (!hd.checkpointStep(8));
                long[] rows = hd.cache().publishedRows();
                assertThat(rows).isNotSameAs(published);
                published = rows;
                previous = latest;
                latest = new HashMap<>();
                for (int i = 0; i < rows.length; i += 2) {
                    store.readRow(rows[i], page, rows[i + 1]);
                    assertThat(latest.put(rows[i], PageLayout.storedCrc(page))).as("row %d referenced twice", rows[i])
                            .isNull();
                }
            }
            assertThat(hd.cache().rowCount()).as("rows are reused, not only appended")
                    .isLessThan(hd.cache().writes());
        }
    }

    @Test
    void aCrashDuringACheckpointLeavesThePreviousOneAndTheWalBringsTheRest() throws Exception {
        SplittableRandom random = new SplittableRandom(SEED + 2);
        Map<Integer, TreeSet<Long>> model = new HashMap<>();
        WalOptions wal = WalOptions.of(KEY_BYTES, Durability.SYNC).withSegmentBytes(64 << 10);
        try (DurableHashDir d = DurableHashDir.create(dir, OPTIONS, CONFIG, wal)) {
            randomOps(d, model, random, 20_000, 10_000);
            d.commit();
            d.checkpoint();
            randomOps(d, model, random, 20_000, 10_000);
            d.commit();
            d.beginCheckpoint();
            long epoch = d.hashDir().durableMeta().epoch();
            for (int i = 0; i < 5; i++) {
                assertThat(d.checkpointStep(4)).isFalse();
                randomOps(d, model, random, 100, 10_000);
            }
            d.commit();
            assertThat(d.hashDir().durableMeta().epoch()).isEqualTo(epoch);
            d.crash();
        }
        long start = System.nanoTime();
        try (DurableHashDir d = DurableHashDir.open(dir, CONFIG, wal)) {
            long nanos = System.nanoTime() - start;
            assertThat(d.recordsReplayed()).isGreaterThan(20_000 / 2);
            assertThat(d.recoveryReleased()).as("replay's buffers are freed once open returns").isTrue();
            System.out.printf("recovery: %d records replayed in %.1f ms%n", d.recordsReplayed(), nanos / 1e6);
            assertThat(state(d.hashDir(), 10_000)).as("seed %d", SEED).isEqualTo(model);
        }
    }

    @Test
    void overlappedCommitsWithCheckpointsBetweenThemLoseNothingAcknowledgedInACrash() throws Exception {
        SplittableRandom random = new SplittableRandom(SEED + 3);
        Map<Integer, TreeSet<Long>> model = new HashMap<>();
        WalOptions wal = WalOptions.of(KEY_BYTES, Durability.SYNC).withSegmentBytes(64 << 10);
        try (DurableHashDir d = DurableHashDir.create(dir, OPTIONS, CONFIG, wal)) {
            long acknowledged = 0;
            int begun = 0;
            for (int batch = 0; batch < 60; batch++) {
                randomOps(d, model, random, 500, 10_000);
                long lastLsn = d.wal().nextLsn() - 1;
                long durable = d.commitAsync();
                assertThat(durable).as("seed %d: the batch is not acknowledged by its own commitAsync", SEED + 3)
                        .isLessThan(lastLsn).isGreaterThanOrEqualTo(acknowledged);
                acknowledged = durable;
                if (batch % 10 == 3 && !d.checkpointRunning()) {
                    d.beginCheckpoint(); // waits for the force in flight: a checkpoint covers only durable records
                    assertThat(d.wal().durableLsn()).isEqualTo(lastLsn);
                    begun++;
                } else if (d.checkpointRunning()) {
                    d.checkpointStep(16); // modified pages' frozen images wait in shadows for these steps
                }
            }
            assertThat(begun).as("checkpoints begun between the overlapped commits").isGreaterThanOrEqualTo(3);
            assertThat(d.hashDir().stats().shadowCopies()).as("pages changed while a checkpoint ran were copied aside")
                    .isGreaterThan(0);
            assertThat(d.awaitCommit()).isEqualTo(d.wal().nextLsn() - 1);
            assertThat(d.wal().asyncCommits()).as("the forces ran on the force thread").isGreaterThan(40);
            d.crash();
        }
        try (DurableHashDir d = DurableHashDir.open(dir, CONFIG, wal)) {
            assertThat(state(d.hashDir(), 10_000)).as("seed %d", SEED + 3).isEqualTo(model);
        }
    }

    @Test
    void replayInKeyOrderWindowsGivesTheStateOfLsnOrder(@TempDir Path copies) throws Exception {
        long seed = SEED + 5;
        SplittableRandom random = new SplittableRandom(seed);
        Map<Integer, TreeSet<Long>> model = new HashMap<>();
        WalOptions wal = WalOptions.of(KEY_BYTES, Durability.SYNC);
        int keys = 300; // few keys: many records of one key, so their order matters
        long[] many = new long[700];
        try (DurableHashDir d = DurableHashDir.create(dir, OPTIONS, CONFIG, wal)) {
            for (int i = 0; i < 30_000; i++) {
                int k = random.nextInt(keys);
                int r = random.nextInt(100);
                if (r < 2) { // PUT_MANY, some larger than the 4 KiB window: applied directly, in order
                    int n = 1 + random.nextInt(many.length);
                    for (int j = 0; j < n; j++) {
                        many[j] = random.nextLong(1000);
                        model.computeIfAbsent(k, x -> new TreeSet<>()).add(many[j]);
                    }
                    d.putAll(key(k), many, 0, n);
                } else if (r < 4) { // REMOVE_MANY, as the pipeline logs it
                    int n = 1 + random.nextInt(20);
                    for (int j = 0; j < n; j++) {
                        many[j] = random.nextLong(1000);
                        d.hashDir().remove(key(k), many[j]);
                        removeFrom(model, k, many[j]);
                    }
                    d.wal().appendRemoveMany(key(k), many, 0, n);
                } else if (r < 70) {
                    long v = random.nextLong(1000);
                    d.put(key(k), v);
                    model.computeIfAbsent(k, x -> new TreeSet<>()).add(v);
                } else if (r < 97) {
                    long v = random.nextLong(1000);
                    d.remove(key(k), v);
                    removeFrom(model, k, v);
                } else {
                    d.delete(key(k));
                    model.remove(k);
                }
                if (i % 100 == 0) {
                    d.commit();
                }
            }
            d.commit();
            d.crash();
        }
        Path copy = copies.resolve("store"); // a temporary directory of its own: deleted after the test
        copyStore(dir, copy);
        try (DurableHashDir d = DurableHashDir.open(dir, CONFIG, wal, FileWalDirectory.open(dir.resolve("wal")),
                RecoveryListener.NONE, 4096)) {
            assertThat(d.recordsReplayed()).isGreaterThan(20_000);
            assertThat(state(d.hashDir(), keys)).as("4 KiB windows, seed %d", seed).isEqualTo(model);
        }
        try (DurableHashDir d = DurableHashDir.open(copy, CONFIG, wal)) {
            assertThat(state(d.hashDir(), keys)).as("one window, seed %d", seed).isEqualTo(model);
        }
    }

    @Test
    void replayWithinAFrameLimitWritesPagesBackAndGivesTheSameStateAsWithout(@TempDir Path copies) throws Exception {
        long seed = SEED + 11;
        SplittableRandom random = new SplittableRandom(seed);
        HashDirConfig large = HashDirConfig.defaults().withCacheBytes(64L << 20);
        WalOptions wal = WalOptions.of(KEY_BYTES, Durability.NONE);
        Map<Integer, TreeSet<Long>> model = new HashMap<>();
        int keys = 60_000; // hundreds of bucket pages: more than the least frames a limit leaves
        try (DurableHashDir d = DurableHashDir.create(dir, OPTIONS, large, wal)) {
            for (int i = 0; i < 150_000; i++) {
                boolean hot = random.nextInt(5) == 0; // a few keys get value lists
                int k = hot ? random.nextInt(200) : random.nextInt(keys);
                long v = random.nextLong(hot ? 10_000 : 64);
                int r = random.nextInt(100);
                if (r < 75) {
                    d.put(key(k), v);
                    model.computeIfAbsent(k, x -> new TreeSet<>()).add(v);
                } else if (r < 97) {
                    d.remove(key(k), v);
                    removeFrom(model, k, v);
                } else {
                    d.delete(key(k));
                    model.remove(k);
                }
            }
            d.commit();
            d.crash();
        }
        Path copy = copies.resolve("store"); // a temporary directory of its own: deleted after the test
        copyStore(dir, copy);
        try (DurableHashDir d = DurableHashDir.open(dir, large, k -> wal, FileWalDirectory.open(dir.resolve("wal")),
                RecoveryListener.NONE, WalApplier.DEFAULT_WINDOW_BYTES, HashDir.Tuning.DEFAULT, 0)) {
            var cache = d.hashDir().cache();
            assertThat(d.recordsReplayed()).isGreaterThan(100_000);
            assertThat(cache.writes()).as("replayed pages written back within the limit").isPositive();
            assertThat(cache.residentFrames()).isLessThanOrEqualTo(PageCache.MIN_FRAMES);
            assertThat(cache.frameLimit()).as("the limit is lifted after the replay").isEqualTo(cache.frames());
            assertThat(state(d.hashDir(), keys)).as("replayed within the least frames, seed %d", seed).isEqualTo(model);
        }
        try (DurableHashDir d = DurableHashDir.open(copy, large, k -> wal, FileWalDirectory.open(copy.resolve("wal")),
                RecoveryListener.NONE, WalApplier.DEFAULT_WINDOW_BYTES, HashDir.Tuning.DEFAULT, Long.MAX_VALUE)) {
            assertThat(d.hashDir().cache().writes()).as("no limit: nothing written back").isZero();
            assertThat(d.hashDir().cache().residentFrames()).isGreaterThan(PageCache.MIN_FRAMES);
            assertThat(state(d.hashDir(), keys)).as("replayed without a limit, seed %d", seed).isEqualTo(model);
        }
    }

    @Test
    void recoveryReportsItsProgressWhileReplaying() throws Exception {
        int records = 3 * WalApplier.PROGRESS_RECORDS + 100;
        WalOptions wal = WalOptions.of(KEY_BYTES, Durability.NONE);
        try (DurableHashDir d = DurableHashDir.create(dir, OPTIONS, CONFIG, wal)) {
            for (int i = 0; i < records; i++) {
                d.put(key(i), i);
            }
            d.commit();
            d.crash();
        }
        RecoveryProgress progress = new RecoveryProgress();
        List<String> reports = new ArrayList<>();
        RecoveryListener listener = (phase, n, bytes, walBytes) -> {
            progress.onProgress(phase, n, bytes, walBytes);
            reports.add(phase + " " + n + " " + progress.fraction());
            if (phase == DurableHashDir.Phase.REPLAYING && n > 0) {
                assertThat(progress.fraction()).isStrictlyBetween(0.0, 1.0);
            }
        };
        try (DurableHashDir d = DurableHashDir.open(dir, CONFIG, wal, listener)) {
            assertThat(d.recordsReplayed()).isEqualTo(records);
        }
        assertThat(reports).first().asString().startsWith("LOADING 0");
        assertThat(reports.get(1)).startsWith("REPLAYING 0 ");
        int p = WalApplier.PROGRESS_RECORDS;
        assertThat(reports.subList(2, 5)).extracting(r -> r.split(" ")[0] + " " + r.split(" ")[1])
                .containsExactly("REPLAYING " + p, "REPLAYING " + 2 * p, "REPLAYING " + 3 * p);
        assertThat(reports.getLast()).isEqualTo("READY " + records + " 1.0");
        assertThat(reports).hasSize(6);
    }

    private static void copyStore(Path from, Path to) throws IOException {
        try (var files = Files.walk(from)) {
            for (Path f : files.toList()) {
                Path t = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(t);
                } else if (!f.getFileName().toString().endsWith(".lock")) {
                    Files.copy(f, t);
                }
            }
        }
    }

    @Test
    void aFullDiskTurnsTheEngineReadOnlyLosesNothingAndWritingResumes() throws Exception {
        FaultyWalDirectory walDir = new FaultyWalDirectory(SEED, 4096);
        WalOptions wal = WalOptions.of(KEY_BYTES, Durability.SYNC);
        PageStore.init(dir, OPTIONS);
        DurableHashDir d = DurableHashDir.open(dir, CONFIG, wal, walDir);
        for (int i = 0; i < 100; i++) {
            d.put(key(i), i);
        }
        d.commit();
        // the WAL segment is preallocated: only a copy-on-write file system fails its overwrites
        walDir.setCopyOnWriteSpaceLimit(walDir.usedBytes() + 100);
        for (int i = 100; i < 120; i++) {
            d.put(key(i), i);
        }
        assertThatThrownBy(d::commit).isInstanceOf(ReadOnlyException.class)
                .hasMessageContaining("disk full").hasCauseInstanceOf(WalIoException.class);
        assertThat(d.readOnlyReason()).contains("WAL disk full");
        assertThatThrownBy(() -> d.put(key(1), 5)).isInstanceOf(ReadOnlyException.class);
        assertThat(d.contains(key(7), 7)).as("reads keep working").isTrue();
        assertThat(d.tryResume()).as("still full").isFalse();
        walDir.clearSpaceLimit();
        assertThat(d.tryResume()).isTrue();
        assertThat(d.readOnlyReason()).isNull();
        d.put(key(500), 500);
        d.commit();
        d.crash();
        walDir.crash(new java.util.Random(SEED), FaultyWalDirectory.Fault.DROP_UNSYNCED);
        try (DurableHashDir again = DurableHashDir.open(dir, CONFIG, wal, walDir)) {
            for (int i = 0; i < 120; i++) {
                assertThat(again.contains(key(i), i)).as("value %d", i).isTrue();
            }
            assertThat(again.contains(key(500), 500)).isTrue();
        }
    }

    // ---- helpers ---------------------------------------------------------------------------

    private void verifyRows(PageStore store, MemorySegment page, Map<Long, Integer> rows) {
        rows.forEach((row, crc) -> {
            store.readRow(row, page, PageLayout.pageId(readRaw(store, row, page)));
            assertThat(PageLayout.storedCrc(page)).as("row %d of a published checkpoint", row).isEqualTo(crc);
        });
    }

    private static MemorySegment readRaw(PageStore store, long row, MemorySegment page) {
        try {
            store.readRow(row, page, -1);
        } catch (CorruptionException expected) {
            // only to get the header's id: verified by the caller
        }
        return page;
    }

    private void randomOps(HashDir hd, Map<Integer, TreeSet<Long>> model, SplittableRandom random, int n, int keys) {
        randomOps(hd::put, hd::remove, hd::delete, model, random, n, keys);
    }

    private void randomOps(DurableHashDir hd, Map<Integer, TreeSet<Long>> model, SplittableRandom random, int n,
                           int keys) {
        randomOps(hd::put, hd::remove, hd::delete, model, random, n, keys);
    }

    /** n seeded puts (70%), removes (20%) and deletes (10%) on keys 0..keys-1, mirrored in the model. */
    private void randomOps(ValueOp put, ValueOp remove, java.util.function.Consumer<MemorySegment> delete,
                           Map<Integer, TreeSet<Long>> model, SplittableRandom random, int n, int keys) {
        for (int i = 0; i < n; i++) {
            int k = random.nextInt(keys);
            long v = random.nextLong(64);
            int r = random.nextInt(10);
            if (r < 7) {
                put.apply(key(k), v);
                model.computeIfAbsent(k, x -> new TreeSet<>()).add(v);
            } else if (r < 9) {
                remove.apply(key(k), v);
                removeFrom(model, k, v);
            } else {
                delete.accept(key(k));
                model.remove(k);
            }
        }
    }

    /** A put or remove of one value; the result is not needed here. */
    @FunctionalInterface
    private interface ValueOp {
        void apply(MemorySegment key, long value);
    }

    private static void removeFrom(Map<Integer, TreeSet<Long>> model, int k, long v) {
        TreeSet<Long> s = model.get(k);
        if (s != null && s.remove(v) && s.isEmpty()) {
            model.remove(k);
        }
    }

    private Map<Integer, TreeSet<Long>> state(HashDir hd, int keys) {
        Map<Integer, TreeSet<Long>> state = new HashMap<>();
        GetResult got = new GetResult(1024);
        for (int k = 0; k < keys; k++) {
            hd.get(key(k), false, 0, 1024, got);
            if (got.size() > 0) {
                TreeSet<Long> s = new TreeSet<>();
                for (int i = 0; i < got.size(); i++) {
                    s.add(got.value(i));
                }
                state.put(k, s);
            }
        }
        return state;
    }

    private static Map<Integer, TreeSet<Long>> copy(Map<Integer, TreeSet<Long>> m) {
        Map<Integer, TreeSet<Long>> c = new HashMap<>();
        m.forEach((k, v) -> c.put(k, new TreeSet<>(v)));
        return c;
    }
}
