package dev.hashdir.engine;

import dev.hashdir.engine.bucket.BucketLayout;
import dev.hashdir.engine.dir.Directory;
import dev.hashdir.engine.dir.DirectoryPages;
import dev.hashdir.engine.page.PageCache;
import dev.hashdir.engine.store.Meta;
import dev.hashdir.engine.store.PageIo;
import dev.hashdir.engine.store.PageStore;
import dev.hashdir.engine.store.StoreOptions;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * The embedded hashdir engine: a persistent multi-value hash directory. Fixed-length keys
 * ({@code keyBytes}, chosen at creation) map to sets of unsigned 64-bit values (the full range
 * 0..2^64-1; Java {@code long} read as unsigned).
 *
 * <p>Structure: an extendible hashing {@link Directory} over bucket pages ({@link BucketLayout}),
 * small sets inline in their key's slot, large sets in value lists, all in fixed-size pages of one
 * HDF5 file ({@link PageStore}) behind a bounded page cache ({@link PageCache}).
 *
 * <h2>Durability</h2>
 * Checkpoints are copy-on-write (shadow paging, see {@link PageCache}): a page of the last
 * durable checkpoint is never overwritten, so a crash leaves the file at its last checkpoint,
 * consistent. HashDir alone is durable only at checkpoints ({@link #flush()}, {@link #close()});
 * {@link DurableHashDir} adds the write-ahead log. A checkpoint can run incrementally
 * ({@link #beginCheckpoint}, {@link #checkpointStep}) between mutations: it writes the state as of
 * its begin.
 *
 * <h2>Input</h2>
 * A key must be exactly {@code keyBytes} long; a limit must be 1..{@value #MAX_LIMIT} and fit the
 * result. Bad input is an {@link IllegalArgumentException} naming the value, and changes nothing.
 * Keys may be passed as {@link MemorySegment} (the allocation-free path) or {@code byte[]}.
 *
 * <h2>Cost</h2>
 * {@code get}, {@code put}, {@code contains} and {@code count} read one directory entry and one
 * page (more only on overflow chains and value lists) and allocate nothing.
 *
 * <p>Threading: not thread-safe. Every call must come from one thread at a time (the engine
 * thread); nothing else may touch the store while it is open.
 */
public final class HashDir implements AutoCloseable {

    /** The largest {@code limit} of {@link #get} and {@link #scan}. */
    public static final int MAX_LIMIT = 65_536;

    private final PageStore store;
    private final HashDirConfig config;
    private final Tuning tuning;
    // rebuilt by reload()
    private PageCache cache;
    private Directory dir;
    private DirectoryPages dirPages;
    private HashIndex index;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment keyBuffer;
    private final int keyBytes;
    private boolean closed;
    /** Why the last {@link #reload()} failed (then nothing can be answered), or null. */
    private String broken;
    /**
     * After a {@link #reload()}, until {@link #caughtUp()}: why reads are refused (the changes after
     * the durable checkpoint are not applied again yet, so an answer could be stale); null otherwise.
     */
    private String behind;
    /** The running checkpoint's meta: without the map's roots while PAGES, complete after. */
    private Meta pendingMeta;
    private CheckpointStage stage = CheckpointStage.PAGES;
    /** The running checkpoint's directory, written in its first steps. */
    private DirectoryPages.Save dirSave;
    private final MemorySegment scratchPage;
    private PageStore.PendingSync sync;
    private long checkpointLsn = -1;

    /** Where a running checkpoint is: writing pages, or waiting for the data's or the meta's fdatasync. */
    private enum CheckpointStage { PAGES, SYNC_DATA, SYNC_META }

    /**
     * Internals tests turn to make rare paths common: directory chunks of 2^chunkBits entries, and
     * a cache of exactly {@code frames} frames (0: from the configured bytes).
     */
    record Tuning(int chunkBits, int frames, PageIo.Wrapper io) {
        static final Tuning DEFAULT = new Tuning(Directory.DEFAULT_CHUNK_BITS, 0);

        Tuning(int chunkBits, int frames) {
            this(chunkBits, frames, PageIo.Wrapper.NONE);
        }

        /** The default tuning with the store's file I/O wrapped (fault injection). */
        static Tuning withIo(PageIo.Wrapper io) {
            return new Tuning(DEFAULT.chunkBits(), DEFAULT.frames(), io);
        }
    }

    private HashDir(PageStore store, HashDirConfig config, Tuning tuning) {
        this.store = store;
        this.config = config;
        this.tuning = tuning;
        this.keyBytes = store.keyBytes();
        this.keyBuffer = arena.allocate(keyBytes, 8);
        this.scratchPage = arena.allocate(store.pageSize(), 4096);
        try {
            build();
        } catch (RuntimeException | Error e) {
            if (cache != null) {
                cache.close(); // built, then something after it failed
            }
            arena.close();
            throw e;
        }
    }

    /** The in-memory structures over the store as it is now (its current meta). */
    private void build() {
        this.cache = tuning.frames() > 0 ? PageCache.withFrames(store, tuning.frames()) : new PageCache(store, config.cacheBytes());
        this.dir = new Directory(config.maxGlobalDepth(), tuning.chunkBits(), Directory.DEFAULT_CHUNKS_PER_STEP);
        this.dirPages = new DirectoryPages(cache);
        cache.graceCheckpoints(config.graceCheckpoints());
        this.index = new HashIndex(cache, new BucketLayout(keyBytes, store.pageSize()), dir, config, arena);
    }

    /** Creates a store in {@code dataDir} (which must not hold one) and opens it. */
    public static HashDir create(Path dataDir, StoreOptions options, HashDirConfig config) throws IOException {
        PageStore.init(dataDir, options);
        return open(dataDir, config);
    }

    /** Creates with internals tuned for a test. */
    static HashDir create(Path dataDir, StoreOptions options, HashDirConfig config, Tuning tuning) throws IOException {
        PageStore.init(dataDir, options);
        return open(dataDir, config, tuning);
    }

    /**
     * Opens the store in {@code dataDir} for writing (one writer at a time).
     *
     * @throws IllegalArgumentException when {@code config} does not suit the store (e.g. its
     *                                  directory is deeper than {@code maxGlobalDepth})
     */
    public static HashDir open(Path dataDir, HashDirConfig config) throws IOException {
        return open(dataDir, config, Tuning.DEFAULT);
    }

    /** Opens with internals tuned for a test. */
    static HashDir open(Path dataDir, HashDirConfig config, Tuning tuning) throws IOException {
        PageStore store = PageStore.open(dataDir, tuning.io());
        HashDir hd = null;
        try {
            hd = new HashDir(store, config, tuning);
            hd.load();
            return hd;
        } catch (RuntimeException | Error e) {
            if (hd != null) {
                hd.cache.close();
                hd.arena.close();
            }
            store.close();
            throw e;
        }
    }

    private void load() {
        Meta meta = store.meta();
        if (meta.directoryRoot() == 0) {
            index.init();
        } else {
            index.restore(meta.keys(), meta.values(), dirPages.load(meta.directoryRoot(), dir));
        }
        cache.endOperation();
    }

    /** Key length of this store. */
    public int keyBytes() {
        return keyBytes;
    }

    public HashDirConfig config() {
        return config;
    }

    // ---- writes ----------------------------------------------------------------------------

    /** Adds {@code value} to the set of {@code key}; returns 1 if it was not there, else 0. */
    public int put(MemorySegment key, long value) {
        checkKey(key);
        index.beginMutation();
        try {
            return index.put(key, 0, value);
        } finally {
            endMutation();
        }
    }

    public int put(byte[] key, long value) {
        return put(buffered(key), value);
    }

    /**
     * Adds {@code values[from, to)} (any order, duplicates allowed) to the set of {@code key};
     * returns how many were not there.
     */
    public int putAll(MemorySegment key, long[] values, int from, int to) {
        checkKey(key);
        checkRange(values, from, to);
        index.beginMutation();
        try {
            return index.putAll(key, 0, values, from, to);
        } finally {
            endMutation();
        }
    }

    public int putAll(byte[] key, long[] values, int from, int to) {
        return putAll(buffered(key), values, from, to);
    }

    /** Removes {@code value} from the set of {@code key}; returns whether it was there. */
    public boolean remove(MemorySegment key, long value) {
        checkKey(key);
        index.beginMutation();
        try {
            return index.remove(key, 0, value);
        } finally {
            endMutation();
        }
    }

    public boolean remove(byte[] key, long value) {
        return remove(buffered(key), value);
    }

    /** Removes {@code key} with its whole set; returns how many values it held (0 if absent). */
    public long delete(MemorySegment key) {
        checkKey(key);
        index.beginMutation();
        try {
            return index.delete(key, 0);
        } finally {
            endMutation();
        }
    }

    public long delete(byte[] key) {
        return delete(buffered(key));
    }

    // ---- reads -----------------------------------------------------------------------------

    /**
     * Fills {@code into} with up to {@code limit} values of {@code key}, ascending unsigned,
     * strictly after {@code after} when {@code hasAfter}, plus the total count and whether more
     * follow. A missing key gives no values and total 0.
     */
    public void get(MemorySegment key, boolean hasAfter, long after, int limit, GetResult into) {
        checkKey(key);
        checkLimit(limit, into.capacity());
        checkCaughtUp();
        try {
            index.get(key, 0, hasAfter, after, limit, into);
        } finally {
            cache.endOperation();
        }
    }

    public void get(byte[] key, boolean hasAfter, long after, int limit, GetResult into) {
        get(buffered(key), hasAfter, after, limit, into);
    }

    public boolean contains(MemorySegment key, long value) {
        checkKey(key);
        checkCaughtUp();
        try {
            return index.contains(key, 0, value);
        } finally {
            cache.endOperation();
        }
    }

    public boolean contains(byte[] key, long value) {
        return contains(buffered(key), value);
    }

    /** Values in the set of {@code key} (0 if absent). */
    public long count(MemorySegment key) {
        checkKey(key);
        checkCaughtUp();
        try {
            return index.count(key, 0);
        } finally {
            cache.endOperation();
        }
    }

    public long count(byte[] key) {
        return count(buffered(key));
    }

    /**
     * Fills {@code into} with up to {@code limit} keys, ascending unsigned lexicographic, strictly
     * after {@code cursor} (from the first key when it is null). Pass the last key returned
     * ({@link ScanResult#cursor()}) to continue: the cursor is a key, so it stays valid across
     * splits, merges and changes in between.
     */
    public void scan(MemorySegment cursor, int limit, ScanResult into) {
        if (cursor != null) {
            checkKey(cursor);
        }
        checkLimit(limit, into.capacity());
        if (into.keyBytes() != keyBytes) {
            throw new IllegalArgumentException("scan result is for " + into.keyBytes() + "-byte keys, the store has "
                    + keyBytes + "-byte keys");
        }
        checkOpen();
        checkCaughtUp();
        try {
            index.scan(cursor, 0, cursor != null, limit, into);
        } finally {
            cache.endOperation();
        }
    }

    public void scan(byte[] cursor, int limit, ScanResult into) {
        scan(cursor == null ? null : buffered(cursor), limit, into);
    }

    /**
     * Where the bucket of the key at {@code key[offset, offset + keyBytes)} lives now: the row of the
     * store's page dataset holding the bucket's primary page, or (a page never written yet, so
     * resident) its page id. Keys of one bucket get the same number. Recovery applies a replay
     * window in this order: each bucket's records together, and the pages read in file order, so
     * that HDF5 reads each block of its chunk index once rather than again and again (its metadata
     * cache holds a fraction of the index of a large store). Does not touch any page.
     */
    public long bucketPlace(MemorySegment key, long offset) {
        checkOpen();
        long page = index.bucketOf(key, offset);
        long row = cache.rowOf(page);
        return row != 0 ? row : page;
    }

    /** Counters of the engine now. */
    public Stats stats() {
        return new Stats(index.keys(), index.values(), dir.globalDepth(), dir.buckets(), cache.pagesInUse(), loadFactor(),
                index.valueLists(), index.eccCorrected(), index.overflowPages(), cache.shadowsHeld(), cache.shadowCopies());
    }

    /** The counters of {@link #stats()} into {@code cell}'s words (no record made: {@link StatsCell#capture}). */
    void captureStats(StatsCell cell) {
        cell.set(StatsCell.KEYS, index.keys());
        cell.set(StatsCell.VALUES, index.values());
        cell.set(StatsCell.GLOBAL_DEPTH, dir.globalDepth());
        cell.set(StatsCell.BUCKETS, dir.buckets());
        cell.set(StatsCell.PAGES, cache.pagesInUse());
        cell.set(StatsCell.LOAD_FACTOR, loadFactor());
        cell.set(StatsCell.VALUE_LISTS, index.valueLists());
        cell.set(StatsCell.ECC_CORRECTED, index.eccCorrected());
        cell.set(StatsCell.OVERFLOW_PAGES, index.overflowPages());
        cell.set(StatsCell.CHECKPOINT_SHADOWS, cache.shadowsHeld());
        cell.set(StatsCell.SHADOW_COPIES, cache.shadowCopies());
    }

    private double loadFactor() {
        long slotPages = dir.buckets() + index.overflowPages();
        return slotPages == 0 ? 0 : (double) index.usedSlots() / (slotPages * index.layout().slots());
    }

    // ---- durability ------------------------------------------------------------------------

    /**
     * Makes everything so far durable: a full checkpoint (finishing a running one first), keeping
     * the current checkpoint LSN.
     */
    public void flush() throws IOException {
        checkpoint(checkpointLsn == -1 ? store.meta().checkpointLsn() : checkpointLsn);
    }

    /** A full checkpoint of everything so far, recording that the WAL is applied up to {@code lsn}. */
    public void checkpoint(long lsn) throws IOException {
        checkOpen();
        if (cache.checkpointRunning()) {
            finishCheckpoint();
        }
        beginCheckpoint(lsn);
        finishCheckpoint();
    }

    /**
     * Begins an incremental checkpoint of the state now, which includes the WAL up to {@code lsn}
     * (replay will start after it): copies the directory's entries (its pages are written by the
     * first steps), freezes the epoch. Mutations may go on; {@link #checkpointStep} writes the
     * frozen state. Costs a copy of the directory (8 bytes a bucket) and a scan of the cache's
     * frames; writes nothing.
     *
     * @throws IllegalStateException when a checkpoint is running
     */
    public void beginCheckpoint(long lsn) {
        checkOpen();
        if (cache.checkpointRunning()) {
            throw new IllegalStateException("a checkpoint is already running");
        }
        if (behind != null && lsn != store.meta().checkpointLsn()) {
            throw new IllegalStateException("no checkpoint at LSN " + lsn + ": " + behind);
        }
        try {
            DirectoryPages.Save save = dirPages.beginSave(dir, index.counters(), cache::reserve);
            long dirRoot = save.root();
            Meta m = store.meta();
            long epoch = cache.beginCheckpoint();
            dirSave = save;
            pendingMeta = new Meta(m.formatRead(), m.formatWrite(), m.keyBytes(), m.pageSize(), epoch, lsn, 0,
                    dirRoot, 0, 0, index.keys(), index.values(), dir.globalDepth(), 0);
            checkpointLsn = lsn;
        } finally {
            cache.endOperation();
        }
    }

    /**
     * Advances the running checkpoint by one bounded step and returns true when it is durable (or
     * none is running); WAL segments below its LSN may then go. The steps, each on this thread and
     * none waiting for the disk: write up to {@code budgetPages} pages (repeated until all are
     * written); write the map's roots, {@code H5Fflush}, and hand the data's fdatasync to the sync
     * thread; once that is done, write the next meta slot, {@code H5Fflush}, and hand its fdatasync
     * over; once that is done, publish. A step whose sync is still running does nothing: call
     * again later (the pages of the last durable checkpoint stay untouched meanwhile).
     */
    public boolean checkpointStep(int budgetPages) throws IOException {
        return checkpointStep(budgetPages, false);
    }

    private boolean checkpointStep(int budgetPages, boolean wait) throws IOException {
        checkOpen();
        if (!cache.checkpointRunning()) {
            return true;
        }
        try {
            while (true) {
                switch (stage) {
                    case PAGES -> {
                        if (dirSave != null) { // first the directory as of the begin, then the cache's pages
                            for (int n = 0; n < budgetPages && !dirSave.done(); n++) {
                                long id = dirSave.fillNext(scratchPage);
                                cache.writeCheckpointPage(id, scratchPage);
                            }
                            if (!dirSave.done()) {
                                return false;
                            }
                            dirSave = null;
                            if (!wait) {
                                return false;
                            }
                        }
                        if (!cache.checkpointStep(budgetPages)) {
                            store.startWriteback(); // the sync thread starts writing the pages out
                            return false;
                        }
                        PageCache.Checkpoint c = cache.finishCheckpoint();
                        Meta p = pendingMeta;
                        pendingMeta = new Meta(p.formatRead(), p.formatWrite(), p.keyBytes(), p.pageSize(), c.epoch(),
                                p.checkpointLsn(), c.pageCount(), p.directoryRoot(), c.pageMapRoot(),
                                c.deletionLogRoot(), p.keys(), p.values(), p.globalDepth(), c.rowCount());
                        sync = store.startSync();
                        stage = CheckpointStage.SYNC_DATA;
                    }
                    case SYNC_DATA -> {
                        if (!sync.poll(wait)) {
                            return false;
                        }
                        store.writeMeta(pendingMeta);
                        sync = store.startSync();
                        stage = CheckpointStage.SYNC_META;
                    }
                    case SYNC_META -> {
                        if (!sync.poll(wait)) {
                            return false;
                        }
                        sync = null;
                        cache.checkpointPublished();
                        pendingMeta = null;
                        stage = CheckpointStage.PAGES;
                        return true;
                    }
                }
                if (!wait && !sync.done()) {
                    return false; // the sync just handed over takes a while: come back later
                }
            }
        } finally {
            cache.endOperation();
        }
    }

    /** Writes the rest of the running checkpoint and waits until it is durable. */
    public void finishCheckpoint() throws IOException {
        checkpointStep(Integer.MAX_VALUE, true);
    }

    /**
     * Where the running checkpoint is: {@code "pages"} (writing pages), {@code "sync_data"} or
     * {@code "sync_meta"} (a sync runs on the sync thread), or {@code "none"}.
     */
    public String checkpointStage() {
        return cache.checkpointRunning() ? stage.name().toLowerCase(java.util.Locale.ROOT) : "none";
    }

    /** Whether a checkpoint is running. */
    public boolean checkpointRunning() {
        return cache.checkpointRunning();
    }

    /** The last durable checkpoint's meta. */
    public Meta durableMeta() {
        return store.meta();
    }

    /**
     * Why the page store refuses writes (a page write, grow or sync failed: disk full, I/O error),
     * or null. Operations under way when it failed completed in memory (pages that could not be
     * written stay in the cache); reads go on; no checkpoint can be published until {@link #reload()}.
     */
    public String writeFailure() {
        return store.writeFailure();
    }

    /**
     * Drops every change since the last durable checkpoint and reloads from the file: the HDF5
     * file is closed and opened again (keeping the writer lock), since HDF5's state after a failed
     * write cannot be trusted, and the directory is loaded from the durable meta. The caller
     * replays what came after the checkpoint (the WAL). A checkpoint under way is abandoned.
     *
     * <p>When it fails (the file cannot be opened or the directory read), this HashDir is unusable
     * until a later {@code reload()} succeeds: every call fails with the reason. When it succeeds,
     * reads fail ({@link StoreException}) until the caller says the replay is complete
     * ({@link #caughtUp()}): until then an answer could lack acknowledged changes. Writes (the
     * replay's) go on; a checkpoint is refused unless at the durable checkpoint's LSN.
     */
    public void reload() {
        if (closed) {
            throw new IllegalStateException("hashdir is closed: " + store.file());
        }
        PageCache old = cache;
        pendingMeta = null;
        checkpointLsn = -1;
        stage = CheckpointStage.PAGES;
        dirSave = null;
        sync = null; // the store waits for a sync in flight before it reopens
        try {
            store.reopen();
            build();
            load();
            broken = null;
            behind = store.file() + " was reloaded from its last durable checkpoint (LSN "
                    + store.meta().checkpointLsn() + ") and the changes after it are not all applied again yet (the "
                    + "WAL replay of a resume did not complete); reads wait for it";
        } catch (RuntimeException e) {
            broken = "reloading " + store.file() + " failed: " + e.getMessage();
            throw e;
        } finally {
            if (cache != old) {
                old.close();
            }
        }
    }

    /**
     * The caller has applied again everything after the durable checkpoint that {@link #reload()}
     * went back to (the whole WAL): reads are answered again.
     */
    public void caughtUp() {
        checkOpen();
        behind = null;
    }

    /** {@link #flush()}, then releases the file, its writer lock and all memory. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        PageCache c = cache;
        try (store; arena; c) {
            flush();
        } finally {
            closed = true;
        }
    }

    /**
     * Releases the file, its writer lock and all memory without a checkpoint: the file stays at
     * its last durable checkpoint. For a caller whose WAL holds everything since (after a page
     * store failure, when no checkpoint can be written), and for tests that simulate a crash.
     */
    public void abandon() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        PageCache c = cache;
        try (store; arena; c) {
            // nothing written
        }
    }

    // ---- for tests -------------------------------------------------------------------------

    PageStore store() {
        return store;
    }

    PageCache cache() {
        return cache;
    }

    Directory directory() {
        return dir;
    }

    HashIndex index() {
        return index;
    }

    /** Directory entries the last mutating operation copied while resizing the directory. */
    long directoryEntriesCopiedLastOperation() {
        return dir.copied();
    }

    // ---- inside ----------------------------------------------------------------------------

    private void endMutation() {
        try {
            index.endMutation();
        } finally {
            cache.endOperation();
        }
    }

    private MemorySegment buffered(byte[] key) {
        if (key == null || key.length != keyBytes) {
            throw badKey(key == null ? "null" : Integer.toString(key.length));
        }
        MemorySegment.copy(key, 0, keyBuffer, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, keyBytes);
        return keyBuffer;
    }

    /** Refuses a read while the changes after the durable checkpoint are not applied again ({@link #reload()}). */
    private void checkCaughtUp() {
        if (behind != null) {
            throw new StoreException(behind);
        }
    }

    private void checkKey(MemorySegment key) {
        checkOpen();
        if (key == null || key.byteSize() != keyBytes) {
            throw badKey(key == null ? "null" : Long.toString(key.byteSize()));
        }
    }

    private IllegalArgumentException badKey(String length) {
        return new IllegalArgumentException("key must be exactly " + keyBytes + " bytes: length=" + length);
    }

    private static void checkLimit(int limit, int capacity) {
        if (limit < 1 || limit > MAX_LIMIT || limit > capacity) {
            throw new IllegalArgumentException("limit must be 1.." + Math.min(MAX_LIMIT, capacity)
                    + " (the result's capacity is " + capacity + "): limit=" + limit);
        }
    }

    private static void checkRange(long[] values, int from, int to) {
        if (values == null || from < 0 || to < from || to > values.length) {
            throw new IllegalArgumentException("bad value range: from=" + from + ", to=" + to + ", length="
                    + (values == null ? "null" : Integer.toString(values.length)));
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("hashdir is closed: " + store.file());
        }
        if (broken != null) {
            throw new StoreException(broken);
        }
    }

    @Override
    public String toString() {
        return "HashDir[" + store.file() + ", keyBytes=" + keyBytes + ", " + dir + "]";
    }
}
