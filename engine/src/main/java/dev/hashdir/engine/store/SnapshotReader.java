package dev.hashdir.engine.store;

import dev.hashdir.bindings.hdf5.H5Dataset;
import dev.hashdir.bindings.hdf5.H5File;
import dev.hashdir.bindings.hdf5.Hdf5Exception;
import dev.hashdir.engine.CorruptionException;
import dev.hashdir.engine.StoreException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A read-only view of {@code <data>/hashdir.h5} for a process other than the writer: opens the
 * file in SWMR-read mode (no writer lock) and reads the last <em>published</em> checkpoint.
 *
 * <p>Snapshot and staleness: {@link #meta()} is the newest valid meta slot as of the last
 * {@link #refresh()}; it never changes between refreshes, and it lags the writer by up to one
 * checkpoint (the writer publishes a meta only after the pages it refers to are flushed).
 * {@link #readPage} reads pages of that snapshot. A page whose header names an epoch newer than
 * the snapshot was rewritten after it (its slot was reclaimed): that throws
 * {@link StaleSnapshotException}, and the caller refreshes and restarts its lookup.
 *
 * <p>What HDF5 needs for this: the writer flushes ({@code H5Dflush} + {@code H5Fflush}) before its
 * chunks and extents are visible, and a reader sees them only after {@code H5Drefresh} of the
 * dataset, which drops its cached chunk index and extent. {@link #refresh()} refreshes the meta
 * dataset; the page dataset is refreshed lazily, before the first read after the meta changed or
 * for an id beyond the extent this reader knows, and again before each retry.
 *
 * <p>Threading: not thread-safe. Use one reader from one thread at a time (it owns preallocated
 * buffers); open one reader per thread for parallel reads. Do not open a reader in the writer's
 * own process: HDF5 shares one file handle per process and the open modes conflict.
 */
public final class SnapshotReader implements AutoCloseable {

    /** Re-reads of a page that fails verification before it is declared corrupt. */
    static final int MAX_RETRIES = 5;
    /** First pause before a retry; doubles each time (1, 2, 4, 8, 16 ms: ~31 ms in all). */
    private static final long FIRST_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final Path file;
    private final H5File h5;
    private final H5Dataset metaSlots;
    private final H5Dataset pages;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment metaBuffer = arena.allocate(MetaLayout.SLOT_BYTES);
    private final int pageSize;
    private Meta meta;
    /** Rows of /pages as of the last refresh of that dataset. */
    private long knownRows;
    /** The meta moved since /pages was last refreshed: its chunk index may be stale. */
    private boolean pagesStale;
    private long refreshes;
    private long retries;

    private SnapshotReader(Path file, H5File h5, H5Dataset metaSlots, H5Dataset pages) {
        this.file = file;
        this.h5 = h5;
        this.metaSlots = metaSlots;
        this.pages = pages;
        this.meta = readMeta();
        this.pageSize = meta.pageSize();
        this.knownRows = pages.dims()[0];
    }

    /**
     * Opens the store in {@code dataDir} for reading, alongside a writer or not.
     *
     * @throws StoreException when there is no store, it is not a hashdir store, or it needs a newer
     *                        reader
     */
    public static SnapshotReader open(Path dataDir) {
        Path file = dataDir.resolve(StoreFormat.FILE_NAME);
        if (!Files.isRegularFile(file)) {
            throw new StoreException("no store at " + file);
        }
        H5File h5;
        try {
            h5 = H5File.open(file, H5File.Mode.SWMR_READ);
        } catch (Hdf5Exception e) {
            throw new StoreException("cannot open " + file + " for SWMR reading (is a writer holding it open"
                    + " without SWMR?): " + e.getMessage(), e);
        }
        H5Dataset metaSlots = null;
        H5Dataset pages = null;
        try {
            if (!h5.hasAttribute(StoreFormat.ATTR_FORMAT)
                    || !StoreFormat.FORMAT_NAME.equals(h5.stringAttribute(StoreFormat.ATTR_FORMAT))
                    || !h5.exists(StoreFormat.META_DATASET) || !h5.exists(StoreFormat.PAGES_DATASET)) {
                throw new StoreException(file + " is an HDF5 file but not a hashdir store");
            }
            metaSlots = h5.openDataset(StoreFormat.META_DATASET);
            pages = h5.openDataset(StoreFormat.PAGES_DATASET);
            return new SnapshotReader(file, h5, metaSlots, pages);
        } catch (RuntimeException e) {
            closeQuietly(pages, e);
            closeQuietly(metaSlots, e);
            closeQuietly(h5, e);
            throw e;
        }
    }

    public Path file() {
        return file;
    }

    public int pageSize() {
        return pageSize;
    }

    /** The snapshot: the newest valid meta as of the last {@link #refresh()}. */
    public Meta meta() {
        return meta;
    }

    /**
     * Re-reads both meta slots ({@code H5Drefresh}, then read) and moves the snapshot to the newest
     * valid one.
     *
     * @return the new snapshot's meta
     * @throws CorruptionException when neither slot is valid
     * @throws StoreException      when the writer moved the file to a format this code cannot read
     */
    public Meta refresh() {
        metaSlots.refresh();
        Meta next = readMeta();
        if (!next.equals(meta)) {
            pagesStale = true;
        }
        meta = next;
        return next;
    }

    /**
     * Reads page {@code id} of the snapshot into {@code dst} and verifies it: checksum and id, and
     * that it is not newer than the snapshot. A page that fails verification (a slot being written,
     * a chunk not yet visible) is re-read after a refresh of the page dataset, up to
     * {@value #MAX_RETRIES} times with a short backoff.
     *
     * @throws IllegalArgumentException when {@code id} is 0 or not below the snapshot's page count
     * @throws CorruptionException      when the page still fails verification after the retries
     * @throws StaleSnapshotException   when the page was rewritten by a newer checkpoint
     */
    public void readPage(long id, MemorySegment dst) {
        checkId(id);
        if (dst.byteSize() != pageSize) {
            throw new IllegalArgumentException("page buffer has " + dst.byteSize() + " bytes, page size is " + pageSize);
        }
        if (pagesStale || id >= knownRows) {
            refreshPages();
        }
        CorruptionException failure = null;
        for (int attempt = 0; ; attempt++) {
            try {
                readVerified(id, dst);
                break;
            } catch (CorruptionException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
            if (attempt == MAX_RETRIES) {
                throw failure;
            }
            retries++;
            LockSupport.parkNanos(FIRST_BACKOFF_NANOS << attempt);
            refreshPages();
        }
        long pageEpoch = PageLayout.epoch(dst);
        if (pageEpoch > meta.epoch()) {
            throw new StaleSnapshotException(file, id, pageEpoch, meta.epoch());
        }
    }

    /** {@code H5Drefresh} calls on the page dataset so far (for tests and stats). */
    public long pageRefreshes() {
        return refreshes;
    }

    /** Page re-reads after a failed verification so far (for tests and stats). */
    public long retries() {
        return retries;
    }

    @Override
    public void close() {
        try (arena; h5; metaSlots; pages) {
            // closes pages, meta, the file, then frees the buffers
        }
    }

    private void readVerified(long id, MemorySegment dst) {
        try {
            pages.readChunk(id, dst);
        } catch (Hdf5Exception e) {
            CorruptionException c = new CorruptionException(file, id, 0, "page", "a written page",
                    "unreadable chunk (rows known=" + knownRows + ")");
            c.initCause(e);
            throw c;
        }
        PageStore.verify(file, id, dst);
    }

    private void refreshPages() {
        pages.refresh();
        knownRows = pages.dims()[0];
        pagesStale = false;
        refreshes++;
    }

    private Meta readMeta() {
        Meta m = PageStore.readCurrentMeta(file, metaSlots, metaBuffer);
        if (m.formatRead() > StoreFormat.READ_VERSION) {
            throw new StoreException("store " + file + " needs a newer hashdir: format read version "
                    + m.formatRead() + ", this build reads up to " + StoreFormat.READ_VERSION);
        }
        return m;
    }

    private void checkId(long id) {
        if (id <= StoreFormat.NULL_PAGE || id >= meta.pageCount()) {
            throw new IllegalArgumentException("page id not in snapshot: id=" + id + ", pageCount="
                    + meta.pageCount() + ", epoch=" + meta.epoch());
        }
    }

    private static void closeQuietly(AutoCloseable c, RuntimeException failure) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            failure.addSuppressed(e);
        }
    }
}
