package dev.hashdir.engine.store;

import dev.hashdir.bindings.hdf5.H5Dataset;
import dev.hashdir.bindings.hdf5.H5File;
import dev.hashdir.bindings.hdf5.Hdf5Exception;
import dev.hashdir.engine.CorruptionException;
import dev.hashdir.engine.StoreException;
import dev.hashdir.engine.page.FreeListLayout;
import dev.hashdir.engine.page.PageMapLayout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
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
 * <p>Page ids are logical: the snapshot's page map (the PAGE_MAP_INDEX chain at
 * {@code meta.pageMapRoot()} listing the rows of the PAGE_MAP leaves, see docs/format.md) says which
 * row of {@code /pages} holds each id in that checkpoint. The reader loads the index chain at the
 * first lookup after a refresh that moved the snapshot, and each leaf when first needed; both are
 * cached until the snapshot moves. Map pages are verified like any page (checksum, kind, leaf or
 * chain position as id, epoch not newer than the snapshot). A meta whose {@code pageMapRoot} is 0
 * maps no id: such a checkpoint has no pages ({@link #rowOf} is 0 for every id).
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
    private final int perLeaf;
    private final MemorySegment mapPage;
    private Meta meta;
    /** Rows of the snapshot's PAGE_MAP leaves, by leaf number; null until loaded. */
    private long[] leafRows;
    /** The snapshot's decoded leaves (row of each logical id), by leaf number; null entries until read. */
    private long[][] leaves;
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
        this.perLeaf = PageMapLayout.entriesPerLeaf(pageSize);
        this.mapPage = arena.allocate(pageSize, 8);
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
            leafRows = null;
            leaves = null;
        }
        meta = next;
        return next;
    }

    /**
     * The row of {@code /pages} that holds logical page {@code id} in the snapshot, or 0 when the
     * snapshot has no page {@code id} (free in that checkpoint). Reads map pages as needed.
     *
     * @throws IllegalArgumentException when {@code id} is 0 or not below the snapshot's page count
     * @throws CorruptionException      when a map page fails verification after the retries, or the
     *                                  map is inconsistent with the meta
     * @throws StaleSnapshotException   when a map page was rewritten by a newer checkpoint
     */
    public long rowOf(long id) {
        checkId(id);
        if (meta.pageMapRoot() == StoreFormat.NULL_PAGE) {
            return StoreFormat.NULL_PAGE;
        }
        if (leafRows == null) {
            leafRows = readIndex();
            leaves = new long[leafRows.length][];
        }
        int leaf = (int) (id / perLeaf);
        long[] entries = leaves[leaf];
        if (entries == null) {
            read(leafRows[leaf], leaf, PageKind.PAGE_MAP, "page map leaf " + leaf, mapPage);
            entries = new long[perLeaf];
            for (int k = 0; k < perLeaf; k++) {
                entries[k] = checkRow(PageMapLayout.row(mapPage, k), "page map leaf " + leaf, leafRows[leaf]);
            }
            leaves[leaf] = entries;
        }
        return entries[(int) (id % perLeaf)];
    }

    /**
     * Reads logical page {@code id} of the snapshot into {@code dst}: its row from the snapshot's
     * page map ({@link #rowOf}), then the page, verified: checksum, the id in its header, and that
     * it is not newer than the snapshot. A page that fails verification (a row being written, a
     * chunk not yet visible) is re-read after a refresh of the page dataset, up to
     * {@value #MAX_RETRIES} times with a short backoff.
     *
     * @throws IllegalArgumentException when {@code id} is 0, not below the snapshot's page count,
     *                                  or free in the snapshot (no row)
     * @throws CorruptionException      when the page (or a map page) still fails verification after
     *                                  the retries; its {@code page()} is the row
     * @throws StaleSnapshotException   when the page (or a map page) was rewritten by a newer
     *                                  checkpoint: {@link #refresh()} and start over
     */
    public void readPage(long id, MemorySegment dst) {
        checkSize(dst);
        long row = rowOf(id);
        if (row == StoreFormat.NULL_PAGE) {
            throw new IllegalArgumentException("page id is free in the snapshot: id=" + id + ", epoch=" + meta.epoch());
        }
        read(row, id, null, "page " + id, dst);
    }

    /**
     * Reads row {@code row} of {@code /pages} and verifies it as the image of logical page
     * {@code expectedId} in the snapshot (checksum, id, epoch), with the retries of
     * {@link #readPage}. For tools that already know a row (e.g. from {@link #rowOf}).
     */
    public void readRow(long row, long expectedId, MemorySegment dst) {
        checkSize(dst);
        if (row <= StoreFormat.NULL_PAGE) {
            throw new IllegalArgumentException("row out of range: row=" + row);
        }
        read(row, expectedId, null, "page " + expectedId, dst);
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

    /** Reads {@code row} with the retries; {@code kind} null: any kind. */
    private void read(long row, long expectedId, PageKind kind, String what, MemorySegment dst) {
        if (pagesStale || row >= knownRows) {
            refreshPages();
        }
        CorruptionException failure = null;
        for (int attempt = 0; ; attempt++) {
            try {
                readVerified(row, expectedId, kind, what, dst);
                return;
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
    }

    /**
     * One read of {@code row}: checksum first (a torn or unwritten row is worth a re-read), then the
     * epoch (a whole page newer than the snapshot means its row was reused: stale, not corrupt), then
     * id and kind.
     */
    private void readVerified(long row, long expectedId, PageKind kind, String what, MemorySegment dst) {
        try {
            pages.readChunk(row, dst);
        } catch (Hdf5Exception e) {
            CorruptionException c = new CorruptionException(file, row, 0, what, "a written row",
                    "unreadable chunk (rows known=" + knownRows + ")");
            c.initCause(e);
            throw c;
        }
        int stored = PageLayout.storedCrc(dst);
        int computed = PageLayout.computedCrc(dst);
        if (stored != computed) {
            throw new CorruptionException(file, row, PageLayout.CRC_OFFSET, "page checksum (" + what + ")",
                    "0x" + Integer.toHexString(stored), "0x" + Integer.toHexString(computed));
        }
        long pageEpoch = PageLayout.epoch(dst);
        if (pageEpoch > meta.epoch()) {
            throw new StaleSnapshotException(file, expectedId, pageEpoch, meta.epoch());
        }
        long claimed = PageLayout.pageId(dst);
        if (claimed != expectedId) {
            throw new CorruptionException(file, row, PageLayout.PAGE_ID_OFFSET, "page id (" + what + ")",
                    Long.toString(expectedId), Long.toString(claimed));
        }
        if (kind != null && PageLayout.kindCode(dst) != kind.code()) {
            throw new CorruptionException(file, row, PageLayout.KIND_OFFSET, "page kind (" + what + ")", kind.name(),
                    Integer.toString(PageLayout.kindCode(dst)));
        }
    }

    /** The snapshot's PAGE_MAP_INDEX chain: the rows of its leaves, one per {@code perLeaf} ids. */
    private long[] readIndex() {
        long expected = (meta.pageCount() + perLeaf - 1) / perLeaf;
        long[] rows = new long[(int) expected];
        int n = 0;
        int position = 0;
        for (long r = meta.pageMapRoot(); r != StoreFormat.NULL_PAGE; position++) {
            checkRow(r, "page map index chain", position);
            if (position > expected) { // a chain page holds at least one row: longer means a cycle
                throw new CorruptionException(file, r, 0, "page map index chain", "at most " + expected + " pages",
                        "more (a cycle?)");
            }
            read(r, position, PageKind.PAGE_MAP_INDEX, "page map index " + position, mapPage);
            int count = FreeListLayout.count(mapPage);
            if (count < 0 || count > FreeListLayout.idsPerPage(pageSize) || n + (long) count > expected) {
                throw new CorruptionException(file, r, FreeListLayout.COUNT_OFFSET, "page map index count",
                        "at most " + Math.min(FreeListLayout.idsPerPage(pageSize), expected - n), Integer.toString(count));
            }
            for (int k = 0; k < count; k++) {
                rows[n++] = checkRow(FreeListLayout.id(mapPage, k), "page map index " + position, r);
            }
            r = FreeListLayout.next(mapPage);
        }
        if (n != expected) {
            throw new CorruptionException(file, meta.pageMapRoot(), 0, "page map index", expected + " leaves for "
                    + meta.pageCount() + " page ids", Integer.toString(n));
        }
        return Arrays.copyOf(rows, n);
    }

    /** A row read from the map must be below the snapshot's row count (0, "none", passes). */
    private long checkRow(long r, String what, long at) {
        if (r < 0 || (r >= meta.rowCount() && r != StoreFormat.NULL_PAGE)) {
            throw new CorruptionException(file, at, 0, "row in " + what, "below row count " + meta.rowCount(),
                    Long.toString(r));
        }
        return r;
    }

    private void checkSize(MemorySegment dst) {
        if (dst.byteSize() != pageSize) {
            throw new IllegalArgumentException("page buffer has " + dst.byteSize() + " bytes, page size is " + pageSize);
        }
    }

    private void refreshPages() {
        pages.refresh();
        knownRows = pages.dims()[0];
        pagesStale = false;
        refreshes++;
    }

    private Meta readMeta() {
        Meta m = PageStore.readCurrentMeta(file, metaSlots::readChunk, metaBuffer);
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
