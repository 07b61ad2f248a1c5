package dev.hashdir.engine.page;

import dev.hashdir.engine.CorruptionException;
import dev.hashdir.engine.store.Meta;
import dev.hashdir.engine.store.PageKind;
import dev.hashdir.engine.store.PageLayout;
import dev.hashdir.engine.store.PageStore;
import dev.hashdir.engine.store.StoreFormat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The page map: logical page id to row of {@code /pages}, and the rows' life cycle. This is what
 * makes checkpoints copy-on-write (shadow paging) while the index structures keep stable ids.
 *
 * <p>Rows: each logical id's row carries the epoch that assigned it. A page image of epoch X goes
 * to its row in place only when that row was assigned in X; otherwise (the row belongs to a
 * durable checkpoint, or to the one being written) it gets a fresh row, and the old row is
 * <em>retired</em> with tag X. A retired row is reusable once the checkpoint of epoch
 * {@code tag + graceCheckpoints} is durable: then neither meta slot references it and readers had
 * that many checkpoints to move on. Retired rows not yet reusable are the deletion log, saved with
 * each checkpoint; free rows are not saved: at load, every row below the row count that the
 * checkpoint does not reference (map, its chains, the log) is free.
 *
 * <p>Checkpoint: {@link #freeze} starts writing epoch E while E+1 mutates. E's map is the current
 * map with E+1's changes undone: the first E+1 change of an id records its E row ({@code undo}).
 * Leaves changed in E are written to fresh rows ({@link #writeLeaves}), then the index chain and
 * the deletion log ({@link #beginRoots}, {@link #writeRootPages}), a bounded number of pages per call.
 *
 * <p>Threading: engine thread only (it calls HDF5 through the {@link PageStore}).
 */
final class PageMap {

    /** The map's part of a checkpoint's meta. */
    record Roots(long pageMapRoot, long deletionLogRoot, long rowCount) {
    }

    private final PageStore store;
    private final int perLeaf;
    private final int perChain;
    private final MemorySegment scratch;
    private int graceCheckpoints = 1;

    private long[] row;
    private long[] rowEpoch;
    private long[] leafRow = new long[0];
    private long[] indexRows = new long[0];
    private long[] logRows = new long[0];
    /** Leaves changed by the mutable epoch, and by the epoch being checkpointed. */
    private long[] dirtyLeaves = new long[1];
    private long[] checkpointLeaves = new long[1];

    private long rowCount;
    private long[] freeRows = new long[64];
    private int freeRowCount;
    private long[] retired = new long[128];
    private int retiredCount;
    /**
     * {@link #retiredCount} when the frozen epoch was frozen: the entries below it all carry a tag
     * at most the frozen epoch (retire appends, with the current epoch or the frozen one), so the
     * frozen epoch's deletion log holds them as they are and {@link #beginRoots} filters only those
     * retired since.
     */
    private int retiredAtFreeze;

    private boolean frozen;
    private long frozenEpoch;
    private long frozenPages;
    private int leafCursor;
    /** Roots of the frozen epoch: -1 until begun, then the next chain page to write. */
    private int rootCursor = -1;
    private long[] rootIndex = new long[0];
    /**
     * The deletion log {@link #beginRoots} fixed, after the entries {@code retired[0, 2 *
     * retiredAtFreeze)} (which stay put until the checkpoint is published: retire only appends):
     * those retired since the freeze with a tag at most the frozen epoch, {@code [0, rootLogTailCount)}.
     * A copy of the whole log was MBs at 10M keys, and allocating it took up to 10 ms.
     */
    private long[] rootLogTail = new long[0];
    private int rootLogTailCount;
    /** Ids changed since the freeze, and their rows in the frozen epoch (the first change records it). */
    private final IntLongMap undo = new IntLongMap(1024);
    private boolean trackPublished;
    private long[] publishedRows = new long[0];

    /** A map for the store's last checkpoint, with room for {@code expectedPages} ids before it grows. */
    PageMap(PageStore store, Arena arena, long expectedPages) {
        this.store = store;
        this.perLeaf = PageMapLayout.entriesPerLeaf(store.pageSize());
        this.perChain = FreeListLayout.idsPerPage(store.pageSize());
        this.scratch = arena.allocate(store.pageSize(), 4096);
        Meta meta = store.meta();
        int capacity = (int) Math.min(Integer.MAX_VALUE - 8,
                Math.max(Math.max(4096, expectedPages), meta.pageCount() + meta.pageCount() / 2));
        this.row = new long[capacity];
        this.rowEpoch = new long[capacity];
        this.rowCount = Math.max(1, meta.rowCount());
        load(meta);
    }

    void graceCheckpoints(int checkpoints) {
        if (checkpoints < 1) {
            throw new IllegalArgumentException("grace must be at least one checkpoint: graceCheckpoints=" + checkpoints);
        }
        this.graceCheckpoints = checkpoints;
    }

    /** The row of logical id {@code id}, or 0 when it has none (free, or never written). */
    long row(long id) {
        return id < row.length ? row[(int) id] : 0;
    }

    /**
     * The ids in [1, {@code below}) that have no row, highest first (one pass over the rows: a
     * call of {@link #row} per id ran interpreted at a fresh start).
     */
    long[] unmappedBelow(long below) {
        int n = (int) Math.min(below, row.length);
        long past = Math.max(n, 1); // ids from here on are past the rows: none has one
        int count = (int) Math.max(0, below - past);
        for (int id = 1; id < n; id++) {
            if (row[id] == 0) {
                count++;
            }
        }
        long[] ids = new long[count];
        int k = 0;
        for (long id = below - 1; id >= past; id--) {
            ids[k++] = id;
        }
        for (int id = n - 1; id >= 1; id--) {
            if (row[id] == 0) {
                ids[k++] = id;
            }
        }
        return ids;
    }

    /** High-water mark of rows. */
    long rowCount() {
        return rowCount;
    }

    /** Rows retired and not yet reusable (the deletion log). */
    int retiredRows() {
        return retiredCount;
    }

    /** Rows reusable now. */
    int freeRows() {
        return freeRowCount;
    }

    void ensure(long pages) {
        if (pages > row.length) {
            int n = (int) Math.max(pages, row.length * 2L);
            row = Arrays.copyOf(row, n);
            rowEpoch = Arrays.copyOf(rowEpoch, n);
        }
    }

    /**
     * The row an image of {@code id} for epoch {@code epoch} goes to: in place when that row was
     * assigned in {@code epoch}, else a fresh one (the old row retired with tag {@code epoch}).
     * {@code checkpointWrite}: the image belongs to the epoch being checkpointed.
     */
    long rowForWrite(long id, long epoch, boolean checkpointWrite) {
        int i = (int) id;
        long old = row[i];
        if (old != 0 && rowEpoch[i] == epoch) {
            return old;
        }
        long fresh = newRow();
        change(i, fresh, epoch, checkpointWrite);
        rowEpoch[i] = epoch;
        return fresh;
    }

    /** Logical id {@code id} is freed in {@code epoch}: its row is retired. */
    void free(long id, long epoch) {
        int i = (int) id;
        if (row[i] != 0) {
            change(i, 0, epoch, false);
        }
    }

    private void change(int i, long newRow, long epoch, boolean checkpointWrite) {
        long old = row[i];
        if (frozen && !checkpointWrite && i < frozenPages) {
            undo.putIfAbsent(i, old);
        }
        if (old != 0) {
            retire(old, epoch);
        }
        row[i] = newRow;
        mark(checkpointWrite ? checkpointLeaves : dirtyLeaves, i / perLeaf);
    }

    /** Freezes the map of epoch {@code epoch} (ids below {@code pages}) for a checkpoint. */
    void freeze(long epoch, long pages) {
        long[] t = checkpointLeaves;
        checkpointLeaves = dirtyLeaves;
        Arrays.fill(t, 0);
        dirtyLeaves = t;
        frozen = true;
        frozenEpoch = epoch;
        retiredAtFreeze = retiredCount;
        frozenPages = pages;
        leafCursor = 0;
        rootCursor = -1;
        undo.clear();
    }

    /** Writes up to {@code budget} changed leaves of the frozen epoch; returns how many it wrote. */
    int writeLeaves(int budget) {
        int leaves = leafCount(frozenPages);
        if (leafRow.length < leaves) {
            leafRow = Arrays.copyOf(leafRow, leaves);
        }
        int written = 0;
        while (written < budget && leafCursor < leaves) {
            int leaf = leafCursor++;
            if (!isMarked(checkpointLeaves, leaf) && leafRow[leaf] != 0) {
                continue;
            }
            fillLeaf(leaf);
            if (leafRow[leaf] != 0) {
                retire(leafRow[leaf], frozenEpoch);
            }
            leafRow[leaf] = newRow();
            store.writeRow(leafRow[leaf], scratch);
            written++;
        }
        return written;
    }

    /** Whether every changed leaf of the frozen epoch is written. */
    boolean leavesDone() {
        return leafCursor >= leafCount(frozenPages);
    }

    /**
     * Starts the index chain and the deletion log of the frozen epoch (after the leaves): retires
     * the previous chains, fixes what the new ones hold and gives them rows; {@link #writeRootPages}
     * then writes them a bounded number of pages at a time.
     */
    void beginRoots() {
        int leaves = leafCount(frozenPages);
        for (long r : indexRows) {
            retire(r, frozenEpoch);
        }
        for (long r : logRows) {
            retire(r, frozenEpoch);
        }
        rootIndex = Arrays.copyOf(leafRow, leaves);
        int tail = 2 * (retiredCount - retiredAtFreeze);
        if (rootLogTail.length < tail) { // kept from checkpoint to checkpoint
            rootLogTail = new long[Math.max(tail, rootLogTail.length * 3 / 2)];
        }
        long[] log = rootLogTail;
        int n = 0;
        for (int k = retiredAtFreeze; k < retiredCount; k++) {
            if (retired[2 * k + 1] <= frozenEpoch) {
                log[n++] = retired[2 * k];
                log[n++] = retired[2 * k + 1];
            }
        }
        rootLogTailCount = n;
        indexRows = newRows((leaves + perChain - 1) / perChain);
        logRows = newRows((2 * retiredAtFreeze + n + perChain - 1) / perChain);
        rootCursor = 0;
    }

    /** Writes up to {@code budget} pages of the chains {@link #beginRoots} started; returns how many it wrote. */
    int writeRootPages(int budget) {
        int written = 0;
        while (written < budget && rootCursor < indexRows.length + logRows.length) {
            int p = rootCursor++;
            if (p < indexRows.length) {
                writeChainPage(PageKind.PAGE_MAP_INDEX, indexRows, p, rootIndex, rootIndex.length, null, 0);
            } else {
                writeChainPage(PageKind.DELETION_LOG, logRows, p - indexRows.length, retired, 2 * retiredAtFreeze,
                        rootLogTail, rootLogTailCount);
            }
            written++;
        }
        return written;
    }

    /** Whether the chains were started and all their pages written. */
    boolean rootsDone() {
        return rootCursor >= 0 && rootCursor >= indexRows.length + logRows.length;
    }

    /** The roots of the chains just written. */
    Roots roots() {
        if (!rootsDone()) {
            throw new IllegalStateException("the page map's roots are not written yet");
        }
        return new Roots(indexRows.length == 0 ? 0 : indexRows[0], logRows.length == 0 ? 0 : logRows[0], rowCount);
    }

    /** The frozen epoch's checkpoint is durable: rows retired long enough ago become reusable. */
    void published(long epoch) {
        if (trackPublished) {
            long[] logical = frozenRows();
            long[] ids = frozenIds();
            int n = logical.length + leafRow.length + indexRows.length + logRows.length;
            publishedRows = new long[2 * n];
            int k = 0;
            for (int i = 0; i < logical.length; i++, k += 2) {
                publishedRows[k] = logical[i];
                publishedRows[k + 1] = ids[i];
            }
            for (long[] rows : new long[][]{leafRow, indexRows, logRows}) {
                for (int i = 0; i < rows.length; i++, k += 2) {
                    publishedRows[k] = rows[i];
                    publishedRows[k + 1] = i;
                }
            }
        }
        frozen = false;
        undo.clear();
        reclaim(epoch);
    }

    /** Every row the frozen epoch's checkpoint references (for checks and tests). */
    long[] frozenRows() {
        long[] rows = new long[(int) frozenPages];
        int n = 0;
        for (int i = 1; i < frozenPages; i++) {
            long r = frozenRow(i);
            if (r != 0) {
                rows[n++] = r;
            }
        }
        return Arrays.copyOf(rows, n);
    }

    private long[] frozenIds() {
        long[] ids = new long[(int) frozenPages];
        int n = 0;
        for (int i = 1; i < frozenPages; i++) {
            if (frozenRow(i) != 0) {
                ids[n++] = i;
            }
        }
        return Arrays.copyOf(ids, n);
    }

    /** Tests: remember the rows of each published checkpoint. */
    void trackPublished(boolean on) {
        trackPublished = on;
    }

    /** Pairs (row, id its header names) of the last published checkpoint, when tracked. */
    long[] publishedRows() {
        return publishedRows;
    }

    // ---- inside ----------------------------------------------------------------------------

    private long frozenRow(int i) {
        return undo.get(i, row[i]);
    }

    private void fillLeaf(int leaf) {
        scratch.fill((byte) 0);
        PageLayout.writeHeader(scratch, PageKind.PAGE_MAP, leaf, frozenEpoch);
        long first = (long) leaf * perLeaf;
        for (int k = 0; k < perLeaf && first + k < frozenPages; k++) {
            PageMapLayout.row(scratch, k, frozenRow((int) (first + k)));
        }
    }

    private long[] newRows(int pages) {
        long[] rows = new long[pages];
        for (int p = 0; p < pages; p++) {
            rows[p] = newRow();
        }
        return rows;
    }

    /**
     * Writes page {@code p} of a chain over {@code rows} holding {@code head[0, headCount)} followed
     * by {@code tail[0, tailCount)}.
     */
    private void writeChainPage(PageKind kind, long[] rows, int p, long[] head, int headCount, long[] tail,
                                int tailCount) {
        scratch.fill((byte) 0);
        PageLayout.writeHeader(scratch, kind, p, frozenEpoch);
        int from = p * perChain;
        int count = Math.min(perChain, headCount + tailCount - from);
        FreeListLayout.next(scratch, p + 1 < rows.length ? rows[p + 1] : StoreFormat.NULL_PAGE);
        FreeListLayout.count(scratch, count);
        for (int k = 0; k < count; k++) {
            int i = from + k;
            FreeListLayout.id(scratch, k, i < headCount ? head[i] : tail[i - headCount]);
        }
        store.writeRow(rows[p], scratch);
    }

    /**
     * The ids listed by the chain of {@code kind} pages from {@code root}; remembers the chain's rows.
     * Both arrays grow by doubling (one copy a page made opening a store with a deletion log of
     * hundreds of pages quadratic).
     */
    private long[] readChain(long root, PageKind kind) {
        long[] values = new long[0];
        long[] rows = new long[0];
        int n = 0;
        int pages = 0;
        for (long r = root; r != StoreFormat.NULL_PAGE; ) {
            store.readRow(r, scratch, pages);
            if (PageLayout.kind(scratch) != kind) {
                throw new CorruptionException(store.file(), r, PageLayout.KIND_OFFSET, "page kind", kind.name(),
                        String.valueOf(PageLayout.kind(scratch)));
            }
            if (pages == rows.length) {
                rows = Arrays.copyOf(rows, Math.max(4, 2 * pages));
            }
            rows[pages++] = r;
            int count = FreeListLayout.count(scratch);
            if (n + count > values.length) {
                values = Arrays.copyOf(values, Math.max(n + count, 2 * values.length));
            }
            for (int k = 0; k < count; k++) {
                values[n++] = FreeListLayout.id(scratch, k);
            }
            r = FreeListLayout.next(scratch);
        }
        rows = Arrays.copyOf(rows, pages);
        if (kind == PageKind.PAGE_MAP_INDEX) {
            indexRows = rows;
        } else {
            logRows = rows;
        }
        return Arrays.copyOf(values, n);
    }

    private void load(Meta meta) {
        long epoch = meta.epoch();
        long pages = meta.pageCount();
        if (meta.pageMapRoot() != StoreFormat.NULL_PAGE) {
            leafRow = readChain(meta.pageMapRoot(), PageKind.PAGE_MAP_INDEX);
            for (int leaf = 0; leaf < leafRow.length; leaf++) {
                store.readRow(leafRow[leaf], scratch, leaf);
                long first = (long) leaf * perLeaf;
                if (first < pages) { // a leaf's entries in one copy (a loop per entry ran interpreted at a fresh start)
                    PageMapLayout.copyRows(scratch, row, (int) first, (int) Math.min(perLeaf, pages - first));
                }
            }
            Arrays.fill(rowEpoch, 0, (int) Math.min(pages, (long) leafRow.length * perLeaf), epoch);
        }
        if (meta.deletionLogRoot() != StoreFormat.NULL_PAGE) {
            long[] log = readChain(meta.deletionLogRoot(), PageKind.DELETION_LOG);
            for (int k = 0; k + 1 < log.length; k += 2) {
                retire(log[k], log[k + 1]);
            }
        }
        boolean[] used = new boolean[(int) rowCount];
        used[0] = true;
        int rows = used.length;
        for (int i = 1; i < pages; i++) { // no call per page: at a fresh start this runs interpreted at first
            long r = row[i];
            if (r < 0 || r >= rows) {
                markUsed(used, r); // throws, naming the row
            }
            used[(int) r] = true;
        }
        for (long r : leafRow) {
            markUsed(used, r);
        }
        for (long r : indexRows) {
            markUsed(used, r);
        }
        for (long r : logRows) {
            markUsed(used, r);
        }
        for (int k = 0; k < retiredCount; k++) {
            markUsed(used, retired[2 * k]);
        }
        for (int r = (int) rowCount - 1; r >= 1; r--) {
            if (!used[r]) {
                pushFreeRow(r);
            }
        }
        reclaim(epoch);
    }

    private void markUsed(boolean[] used, long r) {
        if (r < 0 || r >= used.length) {
            throw new CorruptionException(store.file(), r, 0, "row in the page map", "below row count " + used.length,
                    Long.toString(r));
        }
        used[(int) r] = true;
    }

    private void reclaim(long durableEpoch) {
        int kept = 0;
        for (int k = 0; k < retiredCount; k++) {
            long r = retired[2 * k];
            long tag = retired[2 * k + 1];
            if (tag + graceCheckpoints <= durableEpoch) {
                pushFreeRow(r);
            } else {
                retired[2 * kept] = r;
                retired[2 * kept + 1] = tag;
                kept++;
            }
        }
        retiredCount = kept;
    }

    private void retire(long r, long tag) {
        if (2 * retiredCount + 2 > retired.length) {
            retired = Arrays.copyOf(retired, retired.length * 2);
        }
        retired[2 * retiredCount] = r;
        retired[2 * retiredCount + 1] = tag;
        retiredCount++;
    }

    private long newRow() {
        if (freeRowCount > 0) {
            return freeRows[--freeRowCount];
        }
        long r = rowCount++;
        store.ensureCapacity(rowCount);
        return r;
    }

    private void pushFreeRow(long r) {
        if (freeRowCount == freeRows.length) {
            freeRows = Arrays.copyOf(freeRows, freeRowCount * 2);
        }
        freeRows[freeRowCount++] = r;
    }

    private int leafCount(long pages) {
        return (int) ((pages + perLeaf - 1) / perLeaf);
    }

    private void mark(long[] bits, int leaf) {
        if ((leaf >>> 6) >= bits.length) {
            long[] grown = Arrays.copyOf(bits, Math.max(bits.length * 2, (leaf >>> 6) + 1));
            if (bits == dirtyLeaves) {
                dirtyLeaves = grown;
            } else {
                checkpointLeaves = grown;
            }
            bits = grown;
        }
        bits[leaf >>> 6] |= 1L << leaf;
    }

    private static boolean isMarked(long[] bits, int leaf) {
        return (leaf >>> 6) < bits.length && (bits[leaf >>> 6] & (1L << leaf)) != 0;
    }
}
