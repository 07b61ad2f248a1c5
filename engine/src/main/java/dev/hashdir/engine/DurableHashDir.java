package dev.hashdir.engine;

import dev.hashdir.bindings.NativeAccess;
import dev.hashdir.engine.page.PageCache;
import dev.hashdir.engine.recovery.RecoveryListener;
import dev.hashdir.engine.recovery.WalApplier;
import dev.hashdir.engine.store.PageStore;
import dev.hashdir.engine.store.PageWriteException;
import dev.hashdir.engine.store.StoreOptions;
import dev.hashdir.engine.wal.FileWalDirectory;
import dev.hashdir.engine.wal.WalDirectory;
import dev.hashdir.engine.wal.WalOptions;
import dev.hashdir.engine.wal.WalReader;
import dev.hashdir.engine.wal.WalWriter;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.function.IntFunction;

/**
 * The embedded engine with a write-ahead log: every change is applied to the {@link HashDir} and
 * its logical record appended to the WAL; {@link #commit()} makes them durable (group commit).
 * Checkpoints ({@link #checkpoint()}, or incrementally {@link #beginCheckpoint()} and
 * {@link #checkpointStep}) write the state copy-on-write and then drop the WAL below them.
 *
 * <p>Opening is recovery: the writer lock, stale HDF5 status flags cleared, the newest valid meta
 * loaded, then the WAL replayed from the checkpoint LSN + 1 up to its first torn or bad record
 * (which only an unacknowledged tail can be). {@link #recoveryPhase()} and
 * {@link #recoveryFraction()} report progress.
 *
 * <p>Write failures turn the engine read-only ({@link #readOnlyReason()}); reads keep working and
 * {@link #tryResume()} brings writing back once the disk takes writes again; nothing committed is
 * lost:
 * <ul>
 * <li>a failing WAL write (disk full, EIO): the records stay buffered and are written again;</li>
 * <li>a failing page write or {@code fdatasync} of the HDF5 file (in a checkpoint, or when the
 *     cache evicts a dirty page): the operation under way completes in memory (an unwritable page
 *     stays in the cache) and is logged; the checkpoint is abandoned. The file is still at its
 *     last durable checkpoint and the WAL holds everything since, so the resume commits the WAL,
 *     closes and reopens the HDF5 file on this thread (HDF5's state after a failed write, and the
 *     kernel's after a failed {@code fdatasync}, cannot be trusted), replays the WAL from that
 *     checkpoint and writes a new checkpoint; only when that is durable is the engine writable.</li>
 * <li>detected corruption (a page checksum, an uncorrectable state mask): the call that found it
 *     fails with the {@link CorruptionException}, the engine turns read-only for good (repair is
 *     an operator's job: {@code hashdir check}); reads that do not touch the damage still work.</li>
 * </ul>
 * Reads in the embedded facade see changes before they are committed (the pipeline holds replies
 * back until durable).
 *
 * <p>Apply and encode are separable for the pipeline: {@link #hashDir()} applies, the WAL writer
 * ({@link #wal()}) encodes and commits.
 *
 * <p>Threading: not thread-safe; engine thread only, as {@link HashDir}.
 */
public final class DurableHashDir implements AutoCloseable {

    /** Where opening is. */
    public enum Phase { LOADING, REPLAYING, READY, CLOSED }

    /**
     * The page cache recovery fills at most while it replays the WAL: no bound, the whole
     * configured cache. Replayed pages stay in their frames, changed, until a checkpoint after
     * recovery writes them, rather than being written back during the replay to make room. Session
     * 5 bounded this to 16 MiB when the kernel's zeroing of the frames a fresh process touches for
     * the first time cost more than those write-backs; measured again after the replay's sort by
     * file row, a fresh server on a 10M-key store recovered 2M records in 4.0 to 4.5 s with the
     * 1 GiB cache against 4.5 to 5.4 s within 16 MiB, each of 4 alternated pairs faster
     * (docs/benchmarks.md, "Session 15"). Tests bound it to make a small store write back.
     */
    public static final long REPLAY_CACHE_BYTES = Long.MAX_VALUE;

    /** Reason prefixes: what {@link #tryResume()} can resume from. */
    private static final String WAL_FAILED = "WAL write failed: ";
    private static final String PAGES_FAILED = "page store write failed: ";
    private static final String CHECKPOINT_FAILED = "checkpoint write failed: ";
    private static final String CORRUPT = "corruption detected: ";

    private final HashDir hd;
    private final WalWriter wal;
    private final WalDirectory walDir;
    private volatile Phase phase;
    private volatile String readOnlyReason;
    private final long walBytesAtOpen;
    private final WalApplier applier;
    private long checkpointLsn;
    private long resumes;

    private DurableHashDir(HashDir hd, WalWriter wal, WalDirectory walDir, WalApplier applier, long walBytes) {
        this.hd = hd;
        this.wal = wal;
        this.walDir = walDir;
        this.applier = applier;
        this.walBytesAtOpen = walBytes;
        this.phase = Phase.READY;
    }

    /** Creates a store in {@code dataDir} and opens it with its WAL in {@code dataDir/wal}. */
    public static DurableHashDir create(Path dataDir, StoreOptions options, HashDirConfig config, WalOptions walOptions)
            throws IOException {
        PageStore.init(dataDir, options);
        return open(dataDir, config, walOptions);
    }

    /** Opens (recovers) the store in {@code dataDir} with its WAL in {@code dataDir/wal}. */
    public static DurableHashDir open(Path dataDir, HashDirConfig config, WalOptions walOptions) throws IOException {
        return open(dataDir, config, walOptions, FileWalDirectory.open(dataDir.resolve("wal")));
    }

    /**
     * Opens (recovers) the store in {@code dataDir} with its WAL in {@code dataDir/wal}, telling
     * {@code listener} how far it is (on this thread: at each phase and every
     * {@value WalApplier#PROGRESS_RECORDS} records replayed).
     */
    public static DurableHashDir open(Path dataDir, HashDirConfig config, WalOptions walOptions,
                                      RecoveryListener listener) throws IOException {
        return open(dataDir, config, walOptions, FileWalDirectory.open(dataDir.resolve("wal")), listener);
    }

    /** Opens (recovers) the store in {@code dataDir} with the WAL in {@code walDir} (tests inject faults there). */
    public static DurableHashDir open(Path dataDir, HashDirConfig config, WalOptions walOptions, WalDirectory walDir)
            throws IOException {
        return open(dataDir, config, walOptions, walDir, RecoveryListener.NONE);
    }

    /** Opens (recovers) with the WAL in {@code walDir}, telling {@code listener} how far it is. */
    public static DurableHashDir open(Path dataDir, HashDirConfig config, WalOptions walOptions, WalDirectory walDir,
                                      RecoveryListener listener) throws IOException {
        return open(dataDir, config, walOptions, walDir, listener, WalApplier.DEFAULT_WINDOW_BYTES,
                HashDir.Tuning.DEFAULT);
    }

    /**
     * Opens (recovers) with the WAL in {@code walDir} and the WAL options {@code walOptions} gives for
     * the store's key length (a server that does not know it yet need not open the store twice).
     */
    public static DurableHashDir open(Path dataDir, HashDirConfig config, IntFunction<WalOptions> walOptions,
                                      WalDirectory walDir, RecoveryListener listener) throws IOException {
        return open(dataDir, config, walOptions, walDir, listener, WalApplier.DEFAULT_WINDOW_BYTES,
                HashDir.Tuning.DEFAULT);
    }

    /** Opens replaying in windows of {@code windowBytes} (tests: small windows). */
    static DurableHashDir open(Path dataDir, HashDirConfig config, WalOptions walOptions, WalDirectory walDir,
                               RecoveryListener listener, long windowBytes) throws IOException {
        return open(dataDir, config, walOptions, walDir, listener, windowBytes, HashDir.Tuning.DEFAULT);
    }

    /** Opens with internals tuned for a test (e.g. the HDF5 file's I/O wrapped to inject page faults). */
    static DurableHashDir open(Path dataDir, HashDirConfig config, WalOptions walOptions, WalDirectory walDir,
                               HashDir.Tuning tuning) throws IOException {
        return open(dataDir, config, walOptions, walDir, RecoveryListener.NONE, WalApplier.DEFAULT_WINDOW_BYTES,
                tuning);
    }

    /**
     * The open of everything else: load the store, replay the WAL in windows of {@code windowBytes}
     * ({@link WalApplier}), report the phases to {@code listener}.
     */
    static DurableHashDir open(Path dataDir, HashDirConfig config, WalOptions walOptions, WalDirectory walDir,
                               RecoveryListener listener, long windowBytes, HashDir.Tuning tuning) throws IOException {
        return open(dataDir, config, keyBytes -> walOptions, walDir, listener, windowBytes, tuning);
    }

    /** {@link #open(Path, HashDirConfig, WalOptions, WalDirectory, RecoveryListener, long, HashDir.Tuning)} with the WAL options given for the store's key length. */
    static DurableHashDir open(Path dataDir, HashDirConfig config, IntFunction<WalOptions> walOptionsFor,
                               WalDirectory walDir, RecoveryListener listener, long windowBytes, HashDir.Tuning tuning)
            throws IOException {
        return open(dataDir, config, walOptionsFor, walDir, listener, windowBytes, tuning, REPLAY_CACHE_BYTES);
    }

    /**
     * Opens replaying with at most {@code replayCacheBytes} of the page cache filled (tests: a
     * bound that bites in a small store).
     */
    static DurableHashDir open(Path dataDir, HashDirConfig config, IntFunction<WalOptions> walOptionsFor,
                               WalDirectory walDir, RecoveryListener listener, long windowBytes, HashDir.Tuning tuning,
                               long replayCacheBytes) throws IOException {
        listener.onProgress(Phase.LOADING, 0, 0, 0);
        HashDir hd = HashDir.open(dataDir, config, tuning);
        WalOptions walOptions;
        try {
            walOptions = walOptionsFor.apply(hd.keyBytes());
        } catch (RuntimeException | Error e) {
            hd.abandon();
            throw e;
        }
        if (walOptions.keyBytes() != hd.keyBytes()) {
            hd.abandon();
            throw new IllegalArgumentException("WAL key bytes " + walOptions.keyBytes() + " differ from the store's "
                    + hd.keyBytes());
        }
        WalApplier applier = null;
        WalWriter wal = null;
        try {
            long walBytes = walBytes(walDir);
            applier = new WalApplier(hd, listener, walBytes, windowBytes);
            listener.onProgress(Phase.REPLAYING, 0, 0, walBytes);
            long fromLsn = hd.durableMeta().checkpointLsn() + 1;
            PageCache cache = hd.cache();
            cache.limitFrames((int) Math.min(Integer.MAX_VALUE, replayCacheBytes / cache.pageSize()));
            wal = WalWriter.open(walDir, walOptions, fromLsn, applier);
            applier.finish();
            cache.limitFrames(cache.frames());
            // replay is over: release its buffers now, on the thread that made them (the applier's
            // counters stay readable); a DurableHashDir whose parts a pipeline takes over is never
            // closed itself, so this is the only place that reliably frees them
            applier.close();
            DurableHashDir d = new DurableHashDir(hd, wal, walDir, applier, walBytes);
            d.checkpointLsn = fromLsn - 1;
            listener.onProgress(Phase.READY, applier.records(), applier.bytes(), walBytes);
            NativeAccess.bindRestInBackground(); // the write path's functions, off this thread
            return d;
        } catch (RuntimeException | Error e) {
            if (wal != null) {
                try {
                    wal.close();
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            if (applier != null) {
                applier.close();
            }
            hd.abandon();
            throw e;
        }
    }

    // ---- writes: apply, then append the record ---------------------------------------------

    // A mutation that hit a page write failure still completed in memory: it is logged, and the
    // engine turns read-only after it (noticePageFailure).

    public int put(MemorySegment key, long value) {
        checkWritable();
        int added;
        try {
            added = hd.put(key, value);
        } catch (StoreException e) {
            throw failed(e);
        }
        if (added > 0) {
            wal.appendPut(key, value);
        }
        noticePageFailure();
        return added;
    }

    public int putAll(MemorySegment key, long[] values, int from, int to) {
        checkWritable();
        int added;
        try {
            added = hd.putAll(key, values, from, to);
        } catch (StoreException e) {
            throw failed(e);
        }
        if (added > 0) {
            wal.appendPutMany(key, values, from, to - from);
        }
        noticePageFailure();
        return added;
    }

    public boolean remove(MemorySegment key, long value) {
        checkWritable();
        boolean removed;
        try {
            removed = hd.remove(key, value);
        } catch (StoreException e) {
            throw failed(e);
        }
        if (removed) {
            wal.appendRemove(key, value);
        }
        noticePageFailure();
        return removed;
    }

    public long delete(MemorySegment key) {
        checkWritable();
        long removed;
        try {
            removed = hd.delete(key);
        } catch (StoreException e) {
            throw failed(e);
        }
        if (removed > 0) {
            wal.appendDelete(key);
        }
        noticePageFailure();
        return removed;
    }

    /**
     * Group commit: makes every change so far durable (per the WAL's durability mode) and returns
     * the acknowledged LSN.
     *
     * <p>While read-only because the page store failed, commit still makes the changes applied so
     * far durable (they are in memory and logged; the WAL is what recovery and the resume replay).
     *
     * @throws ReadOnlyException when the engine is read-only for another reason, or the WAL write
     *                           fails now (it then turns read-only; the records stay buffered for
     *                           {@link #tryResume()})
     */
    public long commit() {
        String reason = readOnlyReason;
        if (reason != null && !reason.startsWith(PAGES_FAILED) && !reason.startsWith(CHECKPOINT_FAILED)) {
            throw new ReadOnlyException(reason);
        }
        try {
            return wal.commit();
        } catch (RuntimeException e) {
            throw goReadOnly(WAL_FAILED + e.getMessage(), e);
        }
    }

    /**
     * Group commit that overlaps its fdatasync with the caller's next batch (SYNC mode; otherwise
     * it is {@link #commit()}): writes every change so far to the WAL and starts forcing it on the
     * WAL's force thread, then returns while the disk works, so the caller can apply its next
     * batch meanwhile. It first waits for the force the previous call started: at most one is in
     * flight. The changes of this call are durable, and may be acknowledged, only once
     * {@link #awaitCommit()} (or the next {@code commitAsync}, {@code commit}, checkpoint or close)
     * has returned; the returned LSN says what is durable.
     *
     * @return the durable LSN: everything committed before this call (its own changes not yet)
     * @throws ReadOnlyException as {@link #commit()}, also when the previous overlapped force failed
     */
    public long commitAsync() {
        String reason = readOnlyReason;
        if (reason != null && !reason.startsWith(PAGES_FAILED) && !reason.startsWith(CHECKPOINT_FAILED)) {
            throw new ReadOnlyException(reason);
        }
        try {
            return wal.commitAsync();
        } catch (RuntimeException e) {
            throw goReadOnly(WAL_FAILED + e.getMessage(), e);
        }
    }

    /**
     * Waits for the force the last {@link #commitAsync()} started, if any.
     *
     * @return the durable LSN
     * @throws ReadOnlyException when that force failed (the engine turns read-only; the records
     *                           stay buffered for {@link #tryResume()})
     */
    public long awaitCommit() {
        try {
            return wal.awaitForce();
        } catch (RuntimeException e) {
            throw goReadOnly(WAL_FAILED + e.getMessage(), e);
        }
    }

    // ---- reads -----------------------------------------------------------------------------

    // A read that finds corruption fails with it (no wrong answer) and turns the engine read-only.

    public void get(MemorySegment key, boolean hasAfter, long after, int limit, GetResult into) {
        try {
            hd.get(key, hasAfter, after, limit, into);
        } catch (CorruptionException e) {
            throw corrupt(e);
        }
    }

    public boolean contains(MemorySegment key, long value) {
        try {
            return hd.contains(key, value);
        } catch (CorruptionException e) {
            throw corrupt(e);
        }
    }

    public long count(MemorySegment key) {
        try {
            return hd.count(key);
        } catch (CorruptionException e) {
            throw corrupt(e);
        }
    }

    public void scan(MemorySegment cursor, int limit, ScanResult into) {
        try {
            hd.scan(cursor, limit, into);
        } catch (CorruptionException e) {
            throw corrupt(e);
        }
    }

    // ---- checkpoints -----------------------------------------------------------------------

    /** A full checkpoint of everything so far, then the WAL below it is deleted. */
    public void checkpoint() throws IOException {
        if (hd.checkpointRunning()) {
            finishCheckpoint();
        }
        beginCheckpoint();
        finishCheckpoint();
    }

    /** Writes the rest of the running checkpoint, waits until it is durable, then deletes the WAL below it. */
    private void finishCheckpoint() throws IOException {
        try {
            hd.finishCheckpoint();
        } catch (CorruptionException e) {
            throw corrupt(e);
        } catch (RuntimeException | IOException e) {
            throw checkpointFailed(e);
        }
        wal.deleteSegmentsBelow(checkpointLsn + 1);
    }

    /**
     * Begins an incremental checkpoint of the state now. The WAL is forced first: a checkpoint
     * must never cover records the WAL could still lose, or a later LSN could be handed out twice.
     */
    public void beginCheckpoint() {
        if (readOnlyReason != null) {
            throw new ReadOnlyException(readOnlyReason);
        }
        long lsn;
        try {
            lsn = wal.sync();
        } catch (RuntimeException e) {
            throw goReadOnly(WAL_FAILED + e.getMessage(), e);
        }
        try {
            hd.beginCheckpoint(lsn);
        } catch (PageWriteException e) {
            throw goReadOnly(CHECKPOINT_FAILED + e.getMessage(), e);
        } catch (CorruptionException e) {
            throw corrupt(e);
        }
        checkpointLsn = lsn;
    }

    /**
     * Advances the running checkpoint by one bounded step ({@link HashDir#checkpointStep}: up to
     * {@code budgetPages} pages, or handing a sync to the sync thread, or nothing while a sync
     * runs); returns true when it is durable (then the WAL segments below it are deleted), or when
     * none runs.
     */
    public boolean checkpointStep(int budgetPages) throws IOException {
        boolean done;
        try {
            done = hd.checkpointStep(budgetPages);
        } catch (CorruptionException e) {
            throw corrupt(e);
        } catch (RuntimeException | IOException e) {
            throw checkpointFailed(e);
        }
        if (done) {
            wal.deleteSegmentsBelow(checkpointLsn + 1);
        }
        return done;
    }

    public boolean checkpointRunning() {
        return hd.checkpointRunning();
    }

    // ---- state -----------------------------------------------------------------------------

    /** Why writes are refused, or null when writable. */
    public String readOnlyReason() {
        return readOnlyReason;
    }

    /**
     * Tries to make the engine writable again after a write failure (e.g. space came back); call
     * it now and then while {@link #readOnlyReason()} is set. Engine thread, like everything else.
     *
     * <ul>
     * <li>WAL failure: writes the buffered records again.</li>
     * <li>Page store failure (a page write or sync, in a checkpoint or an eviction): makes the WAL
     *     durable, reopens the HDF5 file at its last durable checkpoint, replays the WAL since
     *     then and writes a full checkpoint. Until that checkpoint is durable the engine stays
     *     read-only (reads go on, from the replayed state). If reopening itself fails, reads fail
     *     with the reason until a later {@code tryResume} reopens it.</li>
     * <li>Corruption: never resumes (returns false).</li>
     * </ul>
     *
     * @return whether the engine is writable now
     */
    public boolean tryResume() {
        String reason = readOnlyReason;
        if (reason == null) {
            return true;
        }
        if (reason.startsWith(CORRUPT)) {
            return false;
        }
        try {
            wal.sync();
        } catch (RuntimeException e) {
            return false;
        }
        if (reason.startsWith(WAL_FAILED) && hd.writeFailure() == null) {
            readOnlyReason = null;
            return true;
        }
        try {
            reloadAndReplay();
        } catch (CorruptionException e) {
            corrupt(e);
            return false;
        } catch (RuntimeException e) {
            readOnlyReason = PAGES_FAILED + e.getMessage();
            return false;
        }
        try {
            hd.checkpoint(checkpointLsn);
        } catch (RuntimeException | IOException e) {
            readOnlyReason = PAGES_FAILED + e.getMessage();
            reloadAfterFailedCheckpoint(e);
            return false;
        }
        wal.deleteSegmentsBelow(checkpointLsn + 1);
        resumes++;
        readOnlyReason = null;
        return true;
    }

    /** A checkpoint's write or sync failed: read-only with the reason, memory rebuilt from the WAL. */
    private ReadOnlyException checkpointFailed(Exception e) {
        ReadOnlyException ro = goReadOnly(CHECKPOINT_FAILED + e.getMessage(), e);
        reloadAfterFailedCheckpoint(ro);
        return ro;
    }

    /** Times {@link #tryResume()} reopened the file and replayed the WAL (a page store failure). */
    public long resumes() {
        return resumes;
    }

    /**
     * A checkpoint failed: pages it wrote may be lost even where the writes succeeded (after a
     * failed {@code fdatasync} the kernel may drop the pages it could not write back, and a page
     * evicted from the cache would then read back old or torn), so memory is rebuilt at once from
     * what is trustworthy, the durable checkpoint and the WAL. When the WAL cannot be made durable
     * either, memory stays as it is; a read that needs a page written since the last good sync
     * fails ({@link dev.hashdir.engine.store.PageLostException}: such a page could read back an
     * older image with a valid checksum), never answers wrongly, and {@link #tryResume()} rebuilds later.
     */
    private void reloadAfterFailedCheckpoint(Throwable failure) {
        try {
            wal.sync();
            reloadAndReplay();
        } catch (RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    /**
     * Reopens the file at its last durable checkpoint and replays the whole (durable) WAL after
     * it, so memory holds exactly what the WAL holds.
     */
    private void reloadAndReplay() {
        hd.reload();
        long from = hd.durableMeta().checkpointLsn() + 1;
        long last;
        // recovery's applier was released when open returned: a resume replays through its own
        try (WalApplier replay = new WalApplier(hd)) {
            last = WalReader.replay(walDir, hd.keyBytes(), from, replay).lastLsn();
            replay.finish();
        }
        long expected = wal.nextLsn() - 1;
        if (last != expected) {
            throw new StoreException("resume replayed the WAL from LSN " + from + " to " + last + " but it holds up to "
                    + expected);
        }
        hd.caughtUp();
        checkpointLsn = expected;
    }

    public Phase recoveryPhase() {
        return phase;
    }

    /** True once recovery's buffers are released (at the end of {@link #open}; tests check it). */
    public boolean recoveryReleased() {
        return applier.closed();
    }

    /** Records replayed by recovery. */
    public long recordsReplayed() {
        return applier.records();
    }

    /** Recovery's progress 0..1: WAL bytes replayed of the WAL bytes found at open. */
    public double recoveryFraction() {
        return phase == Phase.READY || walBytesAtOpen == 0 ? 1.0
                : Math.min(1.0, (double) applier.bytes() / walBytesAtOpen);
    }

    /** The index, to apply operations without logging them (the pipeline logs on its journal thread). */
    public HashDir hashDir() {
        return hd;
    }

    /** The WAL writer (the pipeline's journal thread appends and commits). */
    public WalWriter wal() {
        return wal;
    }

    /**
     * Commits, checkpoints and closes. When read-only, closes without a checkpoint: the file stays
     * at its last checkpoint and the durable WAL holds the rest.
     */
    @Override
    public void close() throws IOException {
        if (phase == Phase.CLOSED) {
            return;
        }
        phase = Phase.CLOSED;
        try {
            if (readOnlyReason == null) {
                wal.commit();
                checkpoint();
                wal.close();
                hd.close();
                return;
            }
        } catch (RuntimeException | IOException e) {
            closeQuietly(e);
            throw e;
        }
        closeQuietly(null);
    }

    /** Tests: stops as a crash would, without committing or checkpointing (the WAL keeps what it forced). */
    void crash() throws IOException {
        phase = Phase.CLOSED;
        closeQuietly(null);
    }

    // ---- inside ----------------------------------------------------------------------------

    private void closeQuietly(Throwable failure) throws IOException {
        try {
            wal.close();
        } catch (RuntimeException e) {
            if (failure != null) {
                failure.addSuppressed(e);
            }
        }
        hd.abandon();
    }

    /** After a mutation: when the page store failed under it, the engine turns read-only now. */
    private void noticePageFailure() {
        String failure = hd.writeFailure();
        if (failure != null && readOnlyReason == null) {
            readOnlyReason = PAGES_FAILED + failure;
        }
    }

    /** A mutation failed: corruption, or (should not happen, the cache survives write failures) I/O. */
    private RuntimeException failed(StoreException e) {
        if (e instanceof CorruptionException c) {
            return corrupt(c);
        }
        return goReadOnly(PAGES_FAILED + e.getMessage(), e);
    }

    private CorruptionException corrupt(CorruptionException e) {
        String reason = readOnlyReason;
        if (reason == null || !reason.startsWith(CORRUPT)) {
            readOnlyReason = CORRUPT + e.getMessage() + " (read-only until repaired; check the store with hashdir check)";
        }
        return e;
    }

    private ReadOnlyException goReadOnly(String reason, Throwable cause) {
        readOnlyReason = reason;
        ReadOnlyException e = new ReadOnlyException(reason);
        e.initCause(cause);
        return e;
    }

    private void checkWritable() {
        if (readOnlyReason == null) {
            noticePageFailure(); // a read's eviction may have found the page store failing
        }
        if (readOnlyReason != null) {
            throw new ReadOnlyException(readOnlyReason);
        }
    }

    /** The WAL's record bytes (not its preallocated zeros or spare), for the replay's progress. */
    private static long walBytes(WalDirectory dir) {
        return WalReader.recordBytes(dir);
    }
}
