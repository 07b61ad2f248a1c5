package dev.hashdir.engine.store;

import dev.hashdir.bindings.hdf5.H5;
import dev.hashdir.bindings.hdf5.H5Dataset;
import dev.hashdir.bindings.hdf5.H5File;
import dev.hashdir.bindings.hdf5.H5Type;
import dev.hashdir.bindings.hdf5.Hdf5Exception;
import dev.hashdir.engine.CorruptionException;
import dev.hashdir.engine.StoreException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The writer's view of {@code <data>/hashdir.h5}: fixed-size pages by id, the two meta slots, and
 * durability ({@code H5Fflush} + {@code fdatasync}). Holds the data directory's writer lock while
 * open; the file is open in SWMR-write mode so reader processes can follow it.
 *
 * <p>Every dataset and attribute is created by {@link #init} before SWMR starts; afterwards only
 * raw chunk data changes and {@code /pages} is extended.
 *
 * <p>Durability: {@link #sync()} flushes and fdatasyncs on the caller's thread;
 * {@link #startSync()} flushes on the caller's thread ({@code H5Fflush}, HDF5 stays on one thread)
 * and hands the {@code fdatasync(2)} of the file descriptor, a plain libc call, to the store's sync
 * thread, so the engine thread does not wait for the disk.
 *
 * <p>Threading: called only on the engine thread (HDF5 is called from one thread); only the
 * fdatasync of {@link #startSync()} runs on the sync thread.
 */
public final class PageStore implements AutoCloseable {

    /**
     * Makes the file's data durable: {@code io.fdatasync()} unless a test injects another, to watch
     * or hold syncs, or fail one.
     */
    @FunctionalInterface
    public interface Syncer {
        void fdatasync(PageIo io) throws IOException;
    }

    /**
     * An fdatasync handed to the sync thread by {@link #startSync()}: everything written before it
     * started is durable once it is {@linkplain #poll done}.
     */
    public final class PendingSync {
        private final Future<?> future;
        /** The rows written before the sync started: what it makes durable, or may lose. */
        private final long[] covered;

        private PendingSync(Future<?> future, long[] covered) {
            this.future = future;
            this.covered = covered;
        }

        /** Whether the sync has finished, well or not ({@link #poll} tells which); never waits. */
        public boolean done() {
            return future.isDone();
        }

        /**
         * Whether the sync is done ({@code wait}: waits for it first).
         *
         * @throws PageWriteException when the fdatasync failed (nothing since the previous sync may be
         *         durable; the store refuses writes, and reads of the rows it covered, until reopened)
         */
        public boolean poll(boolean wait) throws IOException {
            if (!wait && !future.isDone()) {
                return false;
            }
            boolean interrupted = false;
            try {
                while (true) {
                    try {
                        future.get();
                        return true;
                    } catch (InterruptedException e) {
                        interrupted = true;
                    } catch (ExecutionException e) {
                        if (e.getCause() instanceof Error error) {
                            throw error; // not an I/O failure (a test's simulated crash, or the VM's)
                        }
                        throw syncFailed(covered, e.getCause());
                    }
                }
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /** Pages the page dataset starts with and grows by at least; extending allocates no storage. */
    static final long GROWTH_PAGES = 4096;

    private final Path dataDir;
    private final Path file;
    private final WriterLock lock;
    private final PageIo.Wrapper wrapper;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment metaBuffer = arena.allocate(MetaLayout.SLOT_BYTES);
    /** Sums the pages this store writes and reads (the engine thread's): nothing allocated a page. */
    private final Checksums.Crc32c crc = new Checksums.Crc32c();
    private final boolean clearedStatusFlags;
    private final int pageSize;
    private PageIo io;
    private volatile Syncer syncer = PageIo::fdatasync;
    private ExecutorService syncThread;
    /** A sync that does nothing: the one {@link #startSyncThread()} hands over at open. */
    private static final Syncer NO_SYNC = io -> {
    };
    private long capacity;
    private Meta meta;
    /** The first write, grow or sync that failed since the file was (re)opened; null while all went well. */
    private volatile String writeFailure;
    /** One bit per row written since the last successful sync (engine thread). */
    private long[] writtenSinceSync = new long[64];
    /** After a failed sync: the rows it may have lost (reads of them are refused); null otherwise. */
    private volatile long[] lostRows;
    private long reopens;
    /** A {@link #startWriteback()} is queued on the sync thread and has not begun. */
    private final java.util.concurrent.atomic.AtomicBoolean writebackQueued = new java.util.concurrent.atomic.AtomicBoolean();

    private PageStore(Path dataDir, WriterLock lock, H5File h5, boolean clearedStatusFlags, PageIo.Wrapper wrapper) {
        this.dataDir = dataDir;
        this.file = h5.path();
        this.lock = lock;
        this.wrapper = wrapper;
        this.clearedStatusFlags = clearedStatusFlags;
        this.io = wrapper.wrap(new Hdf5PageIo(h5));
        try {
            PageIo opened = io;
            this.meta = readCurrentMeta(file, opened::readMeta, metaBuffer);
            this.pageSize = meta.pageSize();
            this.capacity = opened.rows();
        } catch (RuntimeException e) {
            io.close();
            throw e;
        }
        startSyncThread();
    }

    /**
     * Starts the sync thread at open rather than in the first checkpoint, and hands it a sync that
     * does nothing through the path a real one takes: making the thread (the executor's classes
     * loaded and linked, the thread started) and the first submit (its lambda linked) took 4 to 17 ms
     * of the engine thread's first {@link #startSync()} in a freshly started JVM. {@link #startSync()}
     * still makes the thread when there is none (after {@link #reopen()}).
     */
    private void startSyncThread() {
        if (syncThread == null && io.syncsOnAnyThread()) {
            syncThread = newSyncThread();
            submitSync(NO_SYNC, io, new long[0]);
        }
    }

    private static ExecutorService newSyncThread() {
        return Executors.newSingleThreadExecutor(Thread.ofPlatform().daemon().name("hashdir-sync").factory());
    }

    /**
     * Creates a new store in {@code dataDir} (created if missing). The file is built under a
     * temporary name, synced, then renamed into place, so a crash during init leaves no half store.
     *
     * @throws StoreException when a store already exists there
     */
    public static void init(Path dataDir, StoreOptions options) throws IOException {
        Files.createDirectories(dataDir);
        Path file = dataDir.resolve(StoreFormat.FILE_NAME);
        try (WriterLock _ = WriterLock.acquire(dataDir)) {
            if (Files.exists(file)) {
                throw new StoreException("a store already exists at " + file + "; refusing to overwrite it");
            }
            Path tmp = dataDir.resolve(StoreFormat.FILE_NAME + ".init");
            Files.deleteIfExists(tmp);
            try (H5File h5 = H5File.create(tmp)) {
                createLayout(h5, options);
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                throw new StoreException("cannot rename " + tmp + " to " + file + " atomically", e);
            }
            syncDirectory(dataDir);
        }
    }

    /** Creates a store ({@link #init}) and opens it. */
    public static PageStore create(Path dataDir, StoreOptions options) throws IOException {
        init(dataDir, options);
        return open(dataDir);
    }

    /**
     * Opens an existing store for writing: takes the writer lock, clears status flags a crashed
     * writer left, checks the format, and opens the file in SWMR-write mode.
     *
     * @throws StoreLockedException when another writer has it
     * @throws StoreException       when there is no store, it is not a hashdir store, or it is newer
     *                              than this code
     */
    public static PageStore open(Path dataDir) throws IOException {
        return open(dataDir, PageIo.Wrapper.NONE);
    }

    /** {@link #open(Path)} with the file I/O wrapped (tests inject faults there). */
    public static PageStore open(Path dataDir, PageIo.Wrapper wrapper) throws IOException {
        Path file = dataDir.resolve(StoreFormat.FILE_NAME);
        if (!Files.isRegularFile(file)) {
            throw new StoreException("no store at " + file + " (create one with: hashdir init --data " + dataDir + ")");
        }
        WriterLock lock = WriterLock.acquire(dataDir);
        try {
            boolean cleared = checkFormat(file);
            H5File h5 = H5File.open(file, H5File.Mode.SWMR_WRITE);
            try {
                return new PageStore(dataDir, lock, h5, cleared, wrapper);
            } catch (RuntimeException e) {
                h5.close();
                throw e;
            }
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    public Path dataDir() {
        return dataDir;
    }

    public Path file() {
        return file;
    }

    public int pageSize() {
        return pageSize;
    }

    public int keyBytes() {
        return meta.keyBytes();
    }

    /** The current (newest valid) meta. */
    public Meta meta() {
        return meta;
    }

    /** Whether opening had to clear status flags left by a writer that did not close the file. */
    public boolean clearedStatusFlags() {
        return clearedStatusFlags;
    }

    /** Pages the page dataset currently has room for (ids 0..capacity-1). */
    public long capacity() {
        return capacity;
    }

    /** Extends the page dataset, in large steps, so ids below {@code pages} can be written. */
    public void ensureCapacity(long pages) {
        if (pages <= capacity) {
            return;
        }
        checkWritable();
        long grown = Math.max(pages, capacity + Math.max(GROWTH_PAGES, capacity / 2));
        try {
            io.extend(grown);
        } catch (RuntimeException e) {
            throw failed("growing /pages to " + grown + " rows", e);
        }
        capacity = grown;
    }

    /**
     * Seals (checksums) and writes a page. The page's header must already carry its kind, id and
     * epoch ({@link PageLayout#writeHeader}).
     */
    public void writePage(long id, MemorySegment page) {
        checkId(id);
        checkSize(page);
        long headerId = PageLayout.pageId(page);
        if (headerId != id) {
            throw new IllegalArgumentException("page header says id " + headerId + " but it is written to page " + id);
        }
        PageLayout.seal(page, crc);
        write(id, page);
    }

    /**
     * Reads page {@code id} into {@code dst} and verifies it: checksum, and the id in its header.
     *
     * @throws CorruptionException when the page fails either check or was never written
     */
    public void readPage(long id, MemorySegment dst) {
        checkReadable();
        checkId(id);
        checkNotLost(id);
        checkSize(dst);
        try {
            io.readPage(id, dst);
        } catch (Hdf5Exception e) {
            CorruptionException c = new CorruptionException(file, id, 0, "page", "a written page", "unreadable chunk");
            c.initCause(e);
            throw c;
        }
        verifyRead(id, id, dst);
    }

    /**
     * Seals (checksums) and writes a page image to {@code row}, whatever id its header names: the
     * page map decides rows (copy-on-write), the header carries the logical id.
     */
    public void writeRow(long row, MemorySegment page) {
        checkId(row);
        checkSize(page);
        PageLayout.seal(page, crc);
        write(row, page);
    }

    /**
     * Reads {@code row} into {@code dst} and verifies its checksum and that its header names
     * {@code expectedId}.
     *
     * @throws CorruptionException when the page fails either check or was never written
     */
    public void readRow(long row, MemorySegment dst, long expectedId) {
        checkReadable();
        checkId(row);
        checkNotLost(row);
        checkSize(dst);
        try {
            io.readPage(row, dst);
        } catch (Hdf5Exception e) {
            CorruptionException c = new CorruptionException(file, row, 0, "page row", "a written page",
                    "unreadable chunk (expected id " + expectedId + ")");
            c.initCause(e);
            throw c;
        }
        verifyRead(row, expectedId, dst);
    }

    /** {@link #verify(Path, long, long, MemorySegment)} summed with this store's {@link Checksums.Crc32c}. */
    private void verifyRead(long row, long expectedId, MemorySegment page) {
        verify(file, row, expectedId, page, PageLayout.computedCrc(page, crc));
    }

    /** Checks a page image read from {@code row}: checksum first, then that it claims {@code expectedId}. */
    public static void verify(Path file, long row, long expectedId, MemorySegment page) {
        verify(file, row, expectedId, page, PageLayout.computedCrc(page));
    }

    private static void verify(Path file, long row, long expectedId, MemorySegment page, int computed) {
        int stored = PageLayout.storedCrc(page);
        if (stored != computed) {
            throw new CorruptionException(file, row, PageLayout.CRC_OFFSET, "page checksum",
                    "0x" + Integer.toHexString(stored), "0x" + Integer.toHexString(computed));
        }
        long claimed = PageLayout.pageId(page);
        if (claimed != expectedId) {
            throw new CorruptionException(file, row, PageLayout.PAGE_ID_OFFSET, "page id", Long.toString(expectedId),
                    Long.toString(claimed));
        }
    }

    /** Checks a page image read from {@code file}: checksum first, then the id it claims. */
    public static void verify(Path file, long id, MemorySegment page) {
        verify(file, id, id, page);
    }

    /**
     * Writes {@code next} into its slot (epoch &amp; 1). Not durable until {@link #sync()}; the caller
     * syncs the pages it refers to first (checkpoint order: pages, sync, meta, sync).
     */
    public void writeMeta(Meta next) {
        if (next.keyBytes() != meta.keyBytes() || next.pageSize() != meta.pageSize()) {
            throw new IllegalArgumentException("meta may not change key bytes or page size: " + next);
        }
        if (next.epoch() <= meta.epoch()) {
            throw new IllegalArgumentException("meta epoch must grow: current=" + meta.epoch() + ", next=" + next.epoch());
        }
        checkWritable();
        next.encode(metaBuffer);
        try {
            io.writeMeta(next.slot(), metaBuffer);
        } catch (RuntimeException e) {
            throw failed("writing meta slot " + next.slot() + " (epoch " + next.epoch() + ")", e);
        }
        meta = next;
    }

    /**
     * Makes every write so far durable: flush the datasets, {@code H5Fflush}, {@code fdatasync}.
     *
     * @throws PageWriteException when it fails, or an earlier write failed (see {@link #writeFailure()})
     */
    public void sync() throws IOException {
        flush();
        checkWritable();
        long[] covered = writtenSinceSync.clone();
        try {
            syncer.fdatasync(io);
        } catch (IOException | RuntimeException e) {
            throw syncFailed(covered, e);
        }
        java.util.Arrays.fill(writtenSinceSync, 0);
    }

    /**
     * Starts making every write so far durable: flushes the datasets and {@code H5Fflush}es here
     * (the engine thread), then runs the {@code fdatasync} on the store's sync thread. Writes made
     * after this call may or may not be covered by it. Syncs run one at a time, in order.
     *
     * @throws PageWriteException when the flush fails, or an earlier write failed
     */
    public PendingSync startSync() {
        flush();
        checkWritable();
        long[] covered = writtenSinceSync.clone();
        java.util.Arrays.fill(writtenSinceSync, 0);
        PageIo target = io;
        Syncer s = syncer;
        if (!target.syncsOnAnyThread()) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            try {
                s.fdatasync(target);
                done.complete(null);
            } catch (IOException | RuntimeException e) {
                syncFailed(covered, e); // at once: the rows it lost must not be read meanwhile
                done.completeExceptionally(e);
            }
            return new PendingSync(done, covered);
        }
        if (syncThread == null) {
            syncThread = newSyncThread();
        }
        return new PendingSync(submitSync(s, target, covered), covered);
    }

    /**
     * Has the sync thread start writing back the pages written so far ({@link PageIo#startWriteback},
     * {@code sync_file_range}) while this thread goes on: a checkpoint calls it after each step of
     * pages, so its data {@code fdatasync} later finds most pages already on their way to the disk
     * instead of writing them all after the last step. Makes nothing durable and never fails: a
     * write-back error surfaces in the next sync. Does nothing while one is queued and not begun,
     * after a write failure, or when syncs run on this thread.
     */
    public void startWriteback() {
        PageIo target = io;
        ExecutorService t = syncThread;
        if (writeFailure != null || target == null || t == null || !target.syncsOnAnyThread()
                || !writebackQueued.compareAndSet(false, true)) {
            return;
        }
        try {
            t.execute(() -> {
                writebackQueued.set(false);
                try {
                    target.startWriteback();
                } catch (IOException | RuntimeException e) {
                    // only a hint: the data's fdatasync writes the pages and reports any error
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            writebackQueued.set(false);
        }
    }

    /** Runs {@code s} on the sync thread. */
    private Future<?> submitSync(Syncer s, PageIo target, long[] covered) {
        return syncThread.submit(() -> {
            try {
                s.fdatasync(target);
            } catch (IOException | RuntimeException e) {
                // tell the engine thread now, not at its next poll: from here on it refuses writes and
                // reads of the rows this sync covered (the rest is recorded when it polls)
                markLost(covered);
                if (writeFailure == null) {
                    writeFailure = "syncing failed: " + briefly(e);
                }
                throw e;
            }
            return null;
        });
    }

    /** Replaces how the file is fdatasynced (tests: watch which thread syncs, or fail a sync). */
    public void syncer(Syncer s) {
        this.syncer = s;
    }

    /** Flushes HDF5's buffers so SWMR readers see the latest writes (not durable). */
    public void flush() {
        checkWritable();
        try {
            io.flush();
        } catch (RuntimeException e) {
            throw failed("flushing", e);
        }
    }

    /**
     * The first write, grow, flush or sync that failed since the file was opened, or null. Once one
     * failed, the store refuses every further write, flush and sync until {@link #reopen()}: after
     * a failed {@code fdatasync} the kernel may have dropped pages it reported written, and after a
     * failed write HDF5's own state (chunk index, metadata cache) may not match the file. Reads go on.
     */
    public String writeFailure() {
        return writeFailure;
    }

    /**
     * Closes the HDF5 file and opens it again, keeping the writer lock: the store is back at its
     * last durable meta, with the write failure cleared. Everything written since that meta is
     * dropped from view (it is not referenced by any durable checkpoint). Closing a file whose
     * writes fail may itself fail; that is ignored, since the durable state is the meta's.
     *
     * @throws StoreException when the file cannot be opened again (then the store stays unusable;
     *                        {@link #reopen()} may be retried)
     */
    public void reopen() {
        awaitSyncs(); // a sync in flight finishes on the old descriptor before it closes
        if (io != null) {
            try {
                io.close();
            } catch (RuntimeException e) {
                // HDF5 could not flush its metadata cache (disk full): the durable state is the last meta
            }
            io = null;
        }
        H5File h5;
        try {
            h5 = H5File.open(file, H5File.Mode.SWMR_WRITE);
        } catch (Hdf5Exception e) {
            if (!leftOpenForWrite(e)) {
                throw new StoreException("cannot reopen " + file + ": " + e.getMessage(), e);
            }
            H5File.clearStatusFlags(file);
            h5 = H5File.open(file, H5File.Mode.SWMR_WRITE);
        }
        PageIo opened;
        Hdf5PageIo raw = null;
        try {
            raw = new Hdf5PageIo(h5);
            opened = wrapper.wrap(raw);
        } catch (RuntimeException e) {
            if (raw != null) {
                raw.close();
            } else {
                h5.close();
            }
            throw e;
        }
        try {
            Meta m = readCurrentMeta(file, opened::readMeta, metaBuffer);
            long rows = opened.rows();
            io = opened;
            meta = m;
            capacity = rows;
            writeFailure = null;
            lostRows = null;
            java.util.Arrays.fill(writtenSinceSync, 0);
            reopens++;
        } catch (RuntimeException e) {
            opened.close();
            throw e;
        }
    }

    /** Times {@link #reopen()} succeeded. */
    public long reopens() {
        return reopens;
    }

    @Override
    public void close() throws IOException {
        awaitSyncs();
        try (lock; arena) {
            if (io != null) {
                io.close();
            }
        }
    }

    private void write(long row, MemorySegment page) {
        checkWritable();
        int word = (int) (row >>> 6);
        if (word >= writtenSinceSync.length) {
            writtenSinceSync = java.util.Arrays.copyOf(writtenSinceSync, Math.max(word + 1, 2 * writtenSinceSync.length));
        }
        writtenSinceSync[word] |= 1L << row;
        try {
            io.writePage(row, page);
        } catch (RuntimeException e) {
            throw failed("writing page row " + row, e);
        }
    }

    /**
     * A failed fdatasync: Linux may have dropped any page written before it (it marks pages it failed
     * to write back clean), so such a row could read back an older image, checksum and all; reads of
     * those rows, and of any written since, are refused from now on until the store is reopened.
     */
    private PageWriteException syncFailed(long[] covered, Throwable cause) {
        markLost(covered);
        markLost(writtenSinceSync);
        return failed("syncing", cause);
    }

    /** Adds {@code rows} to the rows whose reads are refused (engine or sync thread, one at a time). */
    private synchronized void markLost(long[] rows) {
        long[] old = lostRows;
        long[] lost = java.util.Arrays.copyOf(rows, Math.max(rows.length, old == null ? 0 : old.length));
        if (old != null) {
            for (int i = 0; i < old.length; i++) {
                lost[i] |= old[i];
            }
        }
        lostRows = lost;
    }

    private void checkNotLost(long row) {
        long[] lost = lostRows;
        if (lost != null && (row >>> 6) < lost.length && (lost[(int) (row >>> 6)] & (1L << row)) != 0) {
            throw new PageLostException(file, row, writeFailure);
        }
    }

    private void checkReadable() {
        if (io == null) {
            throw new StoreException("page store " + file + " is not open: its reopen failed");
        }
    }

    private void checkWritable() {
        if (writeFailure != null) {
            throw new PageWriteException("page store " + file + " refuses writes until it is reopened: an earlier "
                    + writeFailure, null);
        }
        if (io == null) {
            throw new PageWriteException("page store " + file + " is not open: its reopen failed", null);
        }
    }

    private PageWriteException failed(String what, Throwable cause) {
        String reason = what + " failed: " + briefly(cause);
        writeFailure = reason;
        return new PageWriteException("page store " + file + ": " + reason, cause);
    }

    /** Lets a running fdatasync finish before the file (and its descriptor) closes. */
    private void awaitSyncs() {
        if (syncThread == null) {
            return;
        }
        syncThread.shutdown();
        boolean interrupted = false;
        while (true) {
            try {
                if (syncThread.awaitTermination(1, TimeUnit.MINUTES)) {
                    break;
                }
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        syncThread = null;
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void checkId(long id) {
        if (id <= StoreFormat.NULL_PAGE || id >= capacity) {
            throw new IllegalArgumentException("page id out of range: id=" + id + ", capacity=" + capacity);
        }
    }

    private void checkSize(MemorySegment page) {
        if (page.byteSize() != pageSize) {
            throw new IllegalArgumentException("page buffer has " + page.byteSize() + " bytes, page size is " + pageSize);
        }
    }

    private static void createLayout(H5File h5, StoreOptions options) {
        h5.setAttribute(StoreFormat.ATTR_FORMAT, StoreFormat.FORMAT_NAME);
        h5.setAttribute(StoreFormat.ATTR_FORMAT_READ, StoreFormat.WRITE_VERSION);
        h5.setAttribute(StoreFormat.ATTR_FORMAT_WRITE, StoreFormat.WRITE_VERSION);
        h5.setAttribute(StoreFormat.ATTR_KEY_BYTES, options.keyBytes());
        h5.setAttribute(StoreFormat.ATTR_PAGE_SIZE, options.pageSize());
        h5.setAttribute(StoreFormat.ATTR_META_SLOT_BYTES, MetaLayout.SLOT_BYTES);
        try (Arena arena = Arena.ofConfined();
             H5Dataset meta = h5.createDataset(StoreFormat.META_DATASET, H5Type.U8,
                     new long[]{MetaLayout.SLOTS, MetaLayout.SLOT_BYTES},
                     new long[]{MetaLayout.SLOTS, MetaLayout.SLOT_BYTES}, new long[]{1, MetaLayout.SLOT_BYTES});
             H5Dataset pages = h5.createDataset(StoreFormat.PAGES_DATASET, H5Type.U8,
                     new long[]{GROWTH_PAGES, options.pageSize()},
                     new long[]{H5.H5S_UNLIMITED, options.pageSize()}, new long[]{1, options.pageSize()})) {
            MemorySegment slot = arena.allocate(MetaLayout.SLOT_BYTES);
            Meta first = Meta.initial(options);
            // both slots valid from the start; the older one (epoch 0) is the fallback
            first.withEpoch(0).encode(slot);
            meta.writeChunk(0, slot);
            first.encode(slot);
            meta.writeChunk(first.slot(), slot);
            pages.flush();
        }
    }

    /** Validates the format in a read-only session; clears stale status flags first if needed. */
    private static boolean checkFormat(Path file) {
        boolean cleared = false;
        H5File opened;
        try {
            opened = H5File.open(file, H5File.Mode.READ_ONLY);
        } catch (Hdf5Exception e) {
            if (!leftOpenForWrite(e)) {
                throw new StoreException("cannot open " + file + ": " + e.getMessage(), e);
            }
            H5File.clearStatusFlags(file);
            cleared = true;
            opened = H5File.open(file, H5File.Mode.READ_ONLY);
        }
        try (H5File h5 = opened; Arena arena = Arena.ofConfined(); H5Dataset metaSlots = openMeta(h5, file)) {
            Meta m = readCurrentMeta(file, metaSlots::readChunk, arena.allocate(MetaLayout.SLOT_BYTES));
            if (m.formatRead() > StoreFormat.READ_VERSION) {
                throw new StoreException("store " + file + " needs a newer hashdir: format read version "
                        + m.formatRead() + ", this build reads up to " + StoreFormat.READ_VERSION);
            }
            if (m.formatWrite() > StoreFormat.WRITE_VERSION) {
                throw new StoreException("store " + file + " was written by a newer hashdir (format write version "
                        + m.formatWrite() + ", this build writes " + StoreFormat.WRITE_VERSION
                        + "); refusing to write it");
            }
        }
        return cleared;
    }

    private static H5Dataset openMeta(H5File h5, Path file) {
        if (!h5.hasAttribute(StoreFormat.ATTR_FORMAT)
                || !StoreFormat.FORMAT_NAME.equals(h5.stringAttribute(StoreFormat.ATTR_FORMAT))
                || !h5.exists(StoreFormat.META_DATASET)) {
            throw new StoreException(file + " is an HDF5 file but not a hashdir store");
        }
        return h5.openDataset(StoreFormat.META_DATASET);
    }

    /** The HDF5 error of a file whose superblock still says a writer has it open. */
    static boolean leftOpenForWrite(Hdf5Exception e) {
        String stack = e.errorStack();
        return stack.contains("h5clear") || stack.contains("already open for");
    }

    /** Reads a meta slot into a buffer. */
    @FunctionalInterface
    interface SlotReader {
        void read(int slot, MemorySegment dst);
    }

    /** Reads both meta slots; the valid one with the highest epoch wins. */
    static Meta readCurrentMeta(Path file, SlotReader metaSlots, MemorySegment buffer) {
        Meta best = null;
        StringBuilder why = new StringBuilder();
        for (int slot = 0; slot < MetaLayout.SLOTS; slot++) {
            Optional<Meta> m;
            try {
                metaSlots.read(slot, buffer);
                StringBuilder reason = new StringBuilder();
                m = Meta.decode(buffer, reason);
                if (m.isEmpty()) {
                    why.append(" slot ").append(slot).append(": ").append(reason).append(';');
                }
            } catch (RuntimeException e) {
                why.append(" slot ").append(slot).append(": unreadable;");
                m = Optional.empty();
            }
            if (m.isPresent() && (best == null || m.get().epoch() > best.epoch())) {
                best = m.get();
            }
        }
        if (best == null) {
            throw new CorruptionException("no valid meta slot in " + file + ":" + why);
        }
        return best;
    }

    private static final Pattern ERRNO = Pattern.compile("errno = (\\d+), error message = '([^']*)'");

    /**
     * One line for a read-only reason: the failed call and, when HDF5's error stack has it (its
     * sec2 driver reports the errno of the failed pwrite), the errno; the whole stack stays in the
     * exception's cause.
     */
    static String briefly(Throwable t) {
        String message = String.valueOf(t.getMessage());
        String first = message.lines().findFirst().orElse(message).strip();
        if (first.endsWith(":")) {
            first = first.substring(0, first.length() - 1);
        }
        Matcher errno = ERRNO.matcher(message);
        return errno.find() ? first + ": errno=" + errno.group(1) + " (" + errno.group(2) + ")" : first;
    }

    private static void syncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
