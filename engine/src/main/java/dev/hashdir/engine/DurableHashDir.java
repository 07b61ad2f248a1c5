package dev.hashdir.engine;

import dev.hashdir.engine.recovery.RecoveryListener;
import dev.hashdir.engine.recovery.WalApplier;
import dev.hashdir.engine.store.PageStore;
import dev.hashdir.engine.store.StoreOptions;
import dev.hashdir.engine.wal.FileWalDirectory;
import dev.hashdir.engine.wal.WalDirectory;
import dev.hashdir.engine.wal.WalFile;
import dev.hashdir.engine.wal.WalOptions;
import dev.hashdir.engine.wal.WalWriter;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

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
 * <p>Write failures: a failing WAL write (disk full, EIO) or page write turns the engine
 * read-only ({@link #readOnlyReason()}); reads keep working; the failed records stay buffered and
 * {@link #tryResume()} retries them, so nothing is lost. Reads in the embedded facade see
 * changes before they are committed (the pipeline holds replies back until durable).
 *
 * <p>Apply and encode are separable for the pipeline: {@link #hashDir()} applies, the WAL writer
 * ({@link #wal()}) encodes and commits.
 *
 * <p>Threading: not thread-safe; engine thread only, as {@link HashDir}.
 */
public final class DurableHashDir implements AutoCloseable {

    /** Where opening is. */
    public enum Phase { LOADING, REPLAYING, READY, CLOSED }

    private final HashDir hd;
    private final WalWriter wal;
    private volatile Phase phase;
    private volatile String readOnlyReason;
    private final long walBytesAtOpen;
    private final WalApplier applier;
    private long checkpointLsn;

    private DurableHashDir(HashDir hd, WalWriter wal, WalApplier applier, long walBytes) {
        this.hd = hd;
        this.wal = wal;
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

    static DurableHashDir open(Path dataDir, HashDirConfig config, WalOptions walOptions, WalDirectory walDir,
                               RecoveryListener listener) throws IOException {
        return open(dataDir, config, walOptions, walDir, listener, WalApplier.DEFAULT_WINDOW_BYTES);
    }

    /**
     * The open of everything else: load the store, replay the WAL in windows of {@code windowBytes}
     * ({@link WalApplier}), report the phases to {@code listener}.
     */
    static DurableHashDir open(Path dataDir, HashDirConfig config, WalOptions walOptions, WalDirectory walDir,
                               RecoveryListener listener, long windowBytes) throws IOException {
        listener.onProgress(Phase.LOADING, 0, 0, 0);
        HashDir hd = HashDir.open(dataDir, config);
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
            wal = WalWriter.open(walDir, walOptions, fromLsn, applier);
            applier.finish();
            DurableHashDir d = new DurableHashDir(hd, wal, applier, walBytes);
            d.checkpointLsn = fromLsn - 1;
            listener.onProgress(Phase.READY, applier.records(), applier.bytes(), walBytes);
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

    public int put(MemorySegment key, long value) {
        checkWritable();
        int added = hd.put(key, value);
        if (added > 0) {
            wal.appendPut(key, value);
        }
        return added;
    }

    public int putAll(MemorySegment key, long[] values, int from, int to) {
        checkWritable();
        int added = hd.putAll(key, values, from, to);
        if (added > 0) {
            wal.appendPutMany(key, values, from, to - from);
        }
        return added;
    }

    public boolean remove(MemorySegment key, long value) {
        checkWritable();
        boolean removed = hd.remove(key, value);
        if (removed) {
            wal.appendRemove(key, value);
        }
        return removed;
    }

    public long delete(MemorySegment key) {
        checkWritable();
        long removed = hd.delete(key);
        if (removed > 0) {
            wal.appendDelete(key);
        }
        return removed;
    }

    /**
     * Group commit: makes every change so far durable (per the WAL's durability mode) and returns
     * the acknowledged LSN.
     *
     * @throws ReadOnlyException when the engine is read-only or the WAL write fails now (it then
     *                           turns read-only; the records stay buffered for {@link #tryResume()})
     */
    public long commit() {
        if (readOnlyReason != null) {
            throw new ReadOnlyException(readOnlyReason);
        }
        try {
            return wal.commit();
        } catch (RuntimeException e) {
            throw goReadOnly("WAL write failed: " + e.getMessage(), e);
        }
    }

    // ---- reads -----------------------------------------------------------------------------

    public void get(MemorySegment key, boolean hasAfter, long after, int limit, GetResult into) {
        hd.get(key, hasAfter, after, limit, into);
    }

    public boolean contains(MemorySegment key, long value) {
        return hd.contains(key, value);
    }

    public long count(MemorySegment key) {
        return hd.count(key);
    }

    public void scan(MemorySegment cursor, int limit, ScanResult into) {
        hd.scan(cursor, limit, into);
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
        } catch (RuntimeException | IOException e) {
            throw goReadOnly("checkpoint write failed (reopen to recover): " + e.getMessage(), e);
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
            throw goReadOnly("WAL write failed: " + e.getMessage(), e);
        }
        hd.beginCheckpoint(lsn);
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
        } catch (RuntimeException | IOException e) {
            throw goReadOnly("checkpoint write failed (reopen to recover): " + e.getMessage(), e);
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
     * Retries the buffered WAL writes after a WAL failure (e.g. space came back); on success the
     * engine is writable again. A failed checkpoint write is not resumable here: reopen.
     *
     * @return whether the engine is writable now
     */
    public boolean tryResume() {
        String reason = readOnlyReason;
        if (reason == null) {
            return true;
        }
        if (!reason.startsWith("WAL")) {
            return false;
        }
        try {
            wal.commit();
        } catch (RuntimeException e) {
            return false;
        }
        readOnlyReason = null;
        return true;
    }

    public Phase recoveryPhase() {
        return phase;
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
        } finally {
            applier.close();
        }
        closeQuietly(null);
    }

    /** Tests: stops as a crash would, without committing or checkpointing (the WAL keeps what it forced). */
    void crash() throws IOException {
        phase = Phase.CLOSED;
        applier.close();
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

    private ReadOnlyException goReadOnly(String reason, Throwable cause) {
        readOnlyReason = reason;
        ReadOnlyException e = new ReadOnlyException(reason);
        e.initCause(cause);
        return e;
    }

    private void checkWritable() {
        if (readOnlyReason != null) {
            throw new ReadOnlyException(readOnlyReason);
        }
    }

    private static long walBytes(WalDirectory dir) throws IOException {
        long total = 0;
        for (String name : dir.list()) {
            try (WalFile f = dir.openForRead(name)) {
                total += f.size();
            }
        }
        return total;
    }
}
