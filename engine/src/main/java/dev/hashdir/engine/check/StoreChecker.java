package dev.hashdir.engine.check;

import dev.hashdir.bindings.hdf5.H5Dataset;
import dev.hashdir.bindings.hdf5.H5File;
import dev.hashdir.bindings.hdf5.Hdf5Exception;
import dev.hashdir.engine.CorruptionException;
import dev.hashdir.engine.HashDirConfig;
import dev.hashdir.engine.StoreException;
import dev.hashdir.engine.bucket.BucketLayout;
import dev.hashdir.engine.bucket.BucketPage;
import dev.hashdir.engine.bucket.Secded;
import dev.hashdir.engine.bucket.SlotState;
import dev.hashdir.engine.dir.Directory;
import dev.hashdir.engine.dir.DirectoryLayout;
import dev.hashdir.engine.page.FreeListLayout;
import dev.hashdir.engine.page.PageMapLayout;
import dev.hashdir.engine.store.Meta;
import dev.hashdir.engine.store.MetaLayout;
import dev.hashdir.engine.store.PageKind;
import dev.hashdir.engine.store.PageLayout;
import dev.hashdir.engine.store.StoreFormat;
import dev.hashdir.engine.store.WriterLock;
import dev.hashdir.engine.values.ValueList;
import dev.hashdir.engine.values.ValueListLayout;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;

/**
 * Offline verification of a store ({@code hashdir check}): both meta slots, the page map of the
 * current checkpoint, every page reachable from it and the rows nothing reaches. Collects findings
 * ({@link CheckReport}) instead of stopping at the first.
 *
 * <h2>What it checks</h2>
 * <ul>
 * <li>Meta: both slots decoded (magic, CRC32C); the valid one with the highest epoch is checked. A
 *     damaged slot whose (unverified) epoch is older than the current one is a warning (the
 *     fallback is gone); a damaged slot that may have been the newer one is an error (the store has
 *     fallen back a checkpoint). Slot parity (slot = epoch &amp; 1), equal epochs, geometry against the
 *     file's attributes, row count within the page dataset.</li>
 * <li>Page map: the PAGE_MAP_INDEX chain and the PAGE_MAP leaves (checksum, kind, position id,
 *     epoch &lt;= the checkpoint's), one leaf per {@code perLeaf} ids below the page count, every
 *     mapped row in {@code 1..rowCount-1}, no row used twice (by two ids, by the map's own pages,
 *     by the deletion log); the DELETION_LOG chain: rows in range, retired epochs &lt;= the
 *     checkpoint's, a retired row neither mapped nor listed twice.</li>
 * <li>The fallback (the valid older meta slot): every row its page map uses (index chain, leaves,
 *     mapped rows) and its deletion log's pages are used or retired by the current checkpoint,
 *     none free (else the next checkpoint may overwrite the fallback: an error); a fallback page
 *     that does not verify is a warning.</li>
 * <li>Every reachable page (directory chain, buckets and their overflow chains, value lists):
 *     checksum, id in the header equal to the id that led to it, page version, epoch in
 *     {@code 1..checkpoint epoch}, kind; a reachable page that the map gives no row (a free page)
 *     or that is reached twice (shared, or a cycle).</li>
 * <li>Directory: global depth equal in every page and in the meta, bucket count, the entries tile
 *     the 2^G directory (each bucket's 2^(G-L) entries contiguous and aligned, L &lt;= G), no bucket
 *     listed twice.</li>
 * <li>Buckets: kind (BUCKET, then OVERFLOW), local depth equal to the directory's, slot count; each
 *     state mask word against its SECDED byte (one flipped bit: warning, corrected in the checker's
 *     copy; two: error, the page's slots are not read); continuation slots follow a key; header
 *     used/records equal to the mask; every key's top L bits equal the bucket's directory index
 *     prefix; no key twice; inline sets ascending and at most {@value HashDirConfig#MAX_INLINE_VALUES};
 *     value lists sound ({@link ValueList#check}) and not empty.</li>
 * <li>Totals: keys and values against the meta; buckets, overflow pages, value lists and used
 *     slots against the directory root's counters.</li>
 * <li>Rows: free rows are derived (below the row count, neither mapped, nor the map's own pages,
 *     nor retired); a reachable page always has a mapped row, so none is free. Ids the map gives a
 *     row that nothing reaches are leaked (warning).</li>
 * </ul>
 *
 * <h2>Read-only</h2>
 * It takes the writer lock (so it never races a running writer: a store in use is a
 * {@link dev.hashdir.engine.store.StoreLockedException}) and opens the file read-only; it never
 * writes the file. A store a crashed writer left with its HDF5 status flags set is opened in
 * SWMR-read mode instead (which does not need them cleared) and checked as of its last checkpoint,
 * with a warning: the WAL after that checkpoint is not part of the check; starting the server once
 * recovers it. Where even that open fails, the checker refuses and says so.
 *
 * <p>Not checked: the WAL segments; the content of free and retired rows; the fingerprint bytes
 * (they encode the key's last byte and cannot be checked apart from it).
 */
public final class StoreChecker {

    /** Findings kept in a report; more are counted. */
    public static final int DEFAULT_MAX_FINDINGS = 1000;

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Claims on a row, so a row used twice names both users. */
    private static final byte MAP_INDEX = 1;
    private static final byte MAP_LEAF = 2;
    private static final byte LOG = 3;
    private static final byte PAGE = 4;
    private static final byte RETIRED = 5;

    private final CheckReport report;
    private final H5File h5;
    private final Arena arena;
    private H5Dataset pages;
    private MemorySegment buffer;
    private Meta meta;
    /** The valid older meta slot (the checkpoint a damaged current one falls back to), or null. */
    private Meta fallback;
    /** Rows of the fallback the current checkpoint leaves free, and the first few named. */
    private long unkept;
    private final StringBuilder unkeptSample = new StringBuilder();
    private long rowCount;
    private long pageCount;
    private byte[] claimKind;
    private long[] claimOwner;
    private long[] rowOf;
    private CheckedPages space;

    private StoreChecker(CheckReport report, H5File h5, Arena arena) {
        this.report = report;
        this.h5 = h5;
        this.arena = arena;
    }

    /** Checks the store in {@code dataDir}, keeping the first {@value #DEFAULT_MAX_FINDINGS} findings. */
    public static CheckReport check(Path dataDir) throws IOException {
        return check(dataDir, DEFAULT_MAX_FINDINGS);
    }

    /**
     * Checks the store in {@code dataDir}.
     *
     * @throws StoreException                              when there is no store, it is not a hashdir store,
     *                                                     it needs a newer reader, or it cannot be opened
     * @throws dev.hashdir.engine.store.StoreLockedException when a writer has it open
     */
    public static CheckReport check(Path dataDir, int maxFindings) throws IOException {
        Path file = dataDir.resolve(StoreFormat.FILE_NAME);
        if (!Files.isRegularFile(file)) {
            throw new StoreException("no store at " + file);
        }
        CheckReport report = new CheckReport(file, Math.max(0, maxFindings));
        try (WriterLock _ = WriterLock.acquire(dataDir);
             H5File h5 = openReadOnly(file, report);
             Arena arena = Arena.ofConfined()) {
            new StoreChecker(report, h5, arena).run();
        }
        return report;
    }

    private static H5File openReadOnly(Path file, CheckReport report) {
        try {
            return H5File.open(file, H5File.Mode.READ_ONLY);
        } catch (Hdf5Exception e) {
            String stack = e.errorStack();
            if (!stack.contains("h5clear") && !stack.contains("already open for")) {
                throw new StoreException("cannot open " + file + ": " + e.getMessage(), e);
            }
            try {
                H5File h5 = H5File.open(file, H5File.Mode.SWMR_READ);
                report.warning("file", -1, "status flags left set by a writer that did not close the file (a crash?);"
                        + " checked as of its last checkpoint: the WAL after it is not checked; start the server"
                        + " once to recover", null, null);
                return h5;
            } catch (Hdf5Exception e2) {
                e2.addSuppressed(e);
                throw new StoreException(file + " was left open by a writer that did not close it (a crash?) and cannot"
                        + " be opened read-only: start the server on it once to recover, then check again", e2);
            }
        }
    }

    private void run() {
        if (!h5.hasAttribute(StoreFormat.ATTR_FORMAT)
                || !StoreFormat.FORMAT_NAME.equals(h5.stringAttribute(StoreFormat.ATTR_FORMAT))
                || !h5.exists(StoreFormat.META_DATASET) || !h5.exists(StoreFormat.PAGES_DATASET)) {
            throw new StoreException(h5.path() + " is an HDF5 file but not a hashdir store");
        }
        try (H5Dataset metaSlots = h5.openDataset(StoreFormat.META_DATASET);
             H5Dataset pageSet = h5.openDataset(StoreFormat.PAGES_DATASET)) {
            this.pages = pageSet;
            meta = checkMeta(metaSlots);
            if (meta == null) {
                return;
            }
            buffer = arena.allocate(meta.pageSize(), 8);
            loadPageMap();
            checkFallbackKept();
            space = new CheckedPages(pages, meta.pageSize(), rowOf, meta.epoch(), arena);
            checkIndex();
            accountRows();
            report.pagesChecked += space.pagesRead();
        }
    }

    // ---- meta ------------------------------------------------------------------------------

    private Meta checkMeta(H5Dataset metaSlots) {
        MemorySegment slotBuf = arena.allocate(MetaLayout.SLOT_BYTES, 8);
        Meta[] m = new Meta[MetaLayout.SLOTS];
        String[] why = new String[MetaLayout.SLOTS];
        long[] rawEpoch = new long[MetaLayout.SLOTS];
        boolean[] rawMagic = new boolean[MetaLayout.SLOTS];
        for (int s = 0; s < MetaLayout.SLOTS; s++) {
            try {
                metaSlots.readChunk(s, slotBuf);
                StringBuilder reason = new StringBuilder();
                Optional<Meta> d = Meta.decode(slotBuf, reason);
                m[s] = d.orElse(null);
                why[s] = reason.toString();
                rawMagic[s] = slotBuf.get(LONG, MetaLayout.MAGIC_OFFSET) == MetaLayout.MAGIC;
                rawEpoch[s] = slotBuf.get(LONG, MetaLayout.EPOCH_OFFSET);
            } catch (Hdf5Exception e) {
                why[s] = "unreadable chunk";
            }
        }
        int cur = -1;
        for (int s = 0; s < MetaLayout.SLOTS; s++) {
            if (m[s] != null && (cur < 0 || m[s].epoch() > m[cur].epoch())) {
                cur = s;
            }
        }
        if (cur < 0) {
            for (int s = 0; s < MetaLayout.SLOTS; s++) {
                report.error("meta slot " + s, -1, "meta slot damaged: " + why[s], null, null);
            }
            report.error("meta", -1, "no valid meta slot: nothing else can be checked", null, null);
            return null;
        }
        Meta c = m[cur];
        int other = 1 - cur;
        report.epoch = c.epoch();
        report.metaSlot = cur;
        report.note("meta slot " + cur + " is current: epoch " + c.epoch() + ", checkpoint LSN " + c.checkpointLsn()
                + ", keys " + c.keys() + ", values " + c.values() + ", global depth " + c.globalDepth()
                + ", page count " + c.pageCount() + ", row count " + c.rowCount());
        if (m[other] == null) {
            if (rawMagic[other] && rawEpoch[other] < c.epoch()) {
                report.warning("meta slot " + other, -1, "older meta slot damaged (" + why[other]
                        + "); only the current checkpoint is left to fall back on", null, null);
            } else {
                report.error("meta slot " + other, -1, "meta slot damaged (" + why[other] + ") and may have held the"
                        + " newest checkpoint" + (rawMagic[other] ? " (its epoch field reads " + rawEpoch[other] + ")" : "")
                        + ": the store falls back to epoch " + c.epoch() + " in slot " + cur
                        + "; what later checkpoints held may be lost", null, null);
            }
        } else {
            Meta o = m[other];
            report.note("meta slot " + other + " is the fallback: epoch " + o.epoch());
            if (o.epoch() < c.epoch() && o.pageSize() == c.pageSize()) {
                fallback = o;
            }
            if (o.epoch() == c.epoch()) {
                report.error("meta slot " + other, MetaLayout.EPOCH_OFFSET, "both meta slots have the same epoch",
                        "different epochs", Long.toString(o.epoch()));
            }
            if (o.keyBytes() != c.keyBytes() || o.pageSize() != c.pageSize()) {
                report.error("meta slot " + other, MetaLayout.KEY_BYTES_OFFSET, "meta slots disagree on the geometry",
                        "key bytes " + c.keyBytes() + ", page size " + c.pageSize(),
                        "key bytes " + o.keyBytes() + ", page size " + o.pageSize());
            }
            if (o.slot() != other) {
                report.warning("meta slot " + other, MetaLayout.EPOCH_OFFSET, "fallback meta in the wrong slot for its"
                        + " epoch", "slot " + o.slot(), "slot " + other);
            }
        }
        if (c.slot() != cur) {
            report.error("meta slot " + cur, MetaLayout.EPOCH_OFFSET, "current meta in the wrong slot for its epoch",
                    "slot " + c.slot(), "slot " + cur);
        }
        if (c.formatRead() > StoreFormat.READ_VERSION) {
            throw new StoreException("store " + h5.path() + " needs a newer hashdir: format read version "
                    + c.formatRead() + ", this build reads up to " + StoreFormat.READ_VERSION);
        }
        long keyBytesAttr = h5.longAttribute(StoreFormat.ATTR_KEY_BYTES);
        long pageSizeAttr = h5.longAttribute(StoreFormat.ATTR_PAGE_SIZE);
        long[] chunk = pages.chunkDims();
        if (c.keyBytes() != keyBytesAttr || c.pageSize() != pageSizeAttr || chunk.length != 2 || chunk[1] != c.pageSize()
                || c.keyBytes() < StoreFormat.MIN_KEY_BYTES || c.keyBytes() > StoreFormat.MAX_KEY_BYTES) {
            report.error("meta slot " + cur, MetaLayout.KEY_BYTES_OFFSET, "meta geometry against the file",
                    "key bytes " + keyBytesAttr + ", page size " + pageSizeAttr + " (pages chunk "
                            + Arrays.toString(chunk) + ")", "key bytes " + c.keyBytes() + ", page size " + c.pageSize());
            return null;
        }
        long rows = pages.dims()[0];
        if (c.rowCount() < 1 || c.rowCount() > rows) {
            report.error("meta slot " + cur, MetaLayout.ROW_COUNT_OFFSET, "row count", "1.." + rows
                    + " (rows of /pages)", Long.toString(c.rowCount()));
        }
        rowCount = Math.min(Math.max(1, c.rowCount()), rows);
        if (c.pageCount() < 1 || c.pageCount() > Integer.MAX_VALUE - 8) {
            report.error("meta slot " + cur, MetaLayout.PAGE_COUNT_OFFSET, "page count", ">= 1",
                    Long.toString(c.pageCount()));
            return null;
        }
        pageCount = c.pageCount();
        return c;
    }

    // ---- page map and deletion log ---------------------------------------------------------

    private void loadPageMap() {
        claimKind = new byte[(int) rowCount];
        claimOwner = new long[(int) rowCount];
        rowOf = new long[(int) pageCount];
        int perLeaf = PageMapLayout.entriesPerLeaf(meta.pageSize());
        int leaves = (int) ((pageCount + perLeaf - 1) / perLeaf);
        long[] leafRows = meta.pageMapRoot() == StoreFormat.NULL_PAGE ? new long[0]
                : readChain(meta.pageMapRoot(), PageKind.PAGE_MAP_INDEX, MAP_INDEX, "page map index");
        if (meta.pageMapRoot() == StoreFormat.NULL_PAGE && pageCount > 1) {
            report.error("meta", MetaLayout.PAGE_MAP_ROOT_OFFSET, "page map root", "a row (page count is "
                    + pageCount + ")", "0");
        } else if (meta.pageMapRoot() != StoreFormat.NULL_PAGE && leafRows.length != leaves) {
            report.error("page map index", -1, "page map leaves listed", leaves + " (page count " + pageCount
                    + ", " + perLeaf + " ids a leaf)", Integer.toString(leafRows.length));
        }
        long mapped = 0;
        for (int leaf = 0; leaf < Math.min(leaves, leafRows.length); leaf++) {
            long row = leafRows[leaf];
            String where = "page map leaf " + leaf + " (row " + row + ")";
            if (!claim(row, MAP_LEAF, leaf, where) || !readRow(row, leaf, PageKind.PAGE_MAP, where)) {
                continue;
            }
            long first = (long) leaf * perLeaf;
            for (int k = 0; k < perLeaf; k++) {
                long id = first + k;
                long r = PageMapLayout.row(buffer, k);
                long offset = PageMapLayout.ENTRIES_OFFSET + 8L * k;
                if (id == 0 || id >= pageCount) {
                    if (r != 0) {
                        report.error(where, offset, "page map entry of " + (id == 0 ? "the null page 0" : "id " + id
                                + " beyond the page count " + pageCount), "0", Long.toString(r));
                    }
                    continue;
                }
                if (r != 0 && claim(r, PAGE, id, where + ", entry of page " + id)) {
                    rowOf[(int) id] = r;
                    mapped++;
                }
            }
        }
        long retired = 0;
        if (meta.deletionLogRoot() != StoreFormat.NULL_PAGE) {
            long[] log = readChain(meta.deletionLogRoot(), PageKind.DELETION_LOG, LOG, "deletion log");
            if ((log.length & 1) != 0) {
                report.error("deletion log", -1, "deletion log entries", "(row, epoch) pairs",
                        log.length + " values");
            }
            for (int k = 0; k + 1 < log.length; k += 2) {
                long row = log[k];
                long tag = log[k + 1];
                if (tag < 0 || tag > meta.epoch()) {
                    report.error("deletion log entry " + k / 2, -1, "epoch row " + row + " was retired in",
                            "0.." + meta.epoch(), Long.toString(tag));
                }
                if (claim(row, RETIRED, tag, "deletion log entry " + k / 2)) {
                    retired++;
                }
            }
        }
        report.retiredRows = retired;
        report.note("page map: " + leafRows.length + " leaves, " + mapped + " ids mapped to rows; deletion log: "
                + retired + " retired rows");
    }

    /**
     * The rows the fallback checkpoint (the older meta slot) uses: its page map (index chain, leaves,
     * the rows they map) and its deletion log's pages must all be used or retired by the current
     * checkpoint, never free: the writer reuses a row only once neither meta slot references it.
     * A free one could be overwritten by the next checkpoint, and the fallback would then be
     * damaged. (A fallback page that does not read back is a warning: the fallback is lost, as
     * with a damaged older slot.)
     */
    private void checkFallbackKept() {
        if (fallback == null) {
            return;
        }
        Meta o = fallback;
        String name = "fallback (epoch " + o.epoch() + ")";
        int perLeaf = PageMapLayout.entriesPerLeaf(o.pageSize());
        long pagesOf = o.pageCount();
        long[] leafRows = readChain(o.pageMapRoot(), PageKind.PAGE_MAP_INDEX, MAP_INDEX, name + " page map index", true);
        long mapped = 0;
        for (int leaf = 0; leaf < leafRows.length; leaf++) {
            long row = leafRows[leaf];
            kept(row, "page map leaf " + leaf);
            if (!fallbackRead(row, leaf, PageKind.PAGE_MAP, name + " page map leaf " + leaf + " (row " + row + ")",
                    o.epoch())) {
                continue;
            }
            long first = (long) leaf * perLeaf;
            for (int k = 0; k < perLeaf && first + k < pagesOf; k++) {
                long r = PageMapLayout.row(buffer, k);
                if (r != 0 && first + k != 0) {
                    kept(r, "page " + (first + k));
                    mapped++;
                }
            }
        }
        readChain(o.deletionLogRoot(), PageKind.DELETION_LOG, LOG, name + " deletion log", true);
        if (unkept > 0) {
            report.error(name, -1, unkept + " row(s) the fallback checkpoint uses are free in the current one (the "
                    + "next checkpoint may overwrite them): " + unkeptSample + (unkept > 10 ? ", ..." : ""), null, null);
        }
        report.note("fallback checkpoint (epoch " + o.epoch() + "): " + leafRows.length + " leaves, " + mapped
                + " ids mapped, every row kept: " + (unkept == 0));
    }

    /** Counts {@code row} of the fallback when the current checkpoint neither uses nor retires it. */
    private void kept(long row, String what) {
        if (row >= 1 && row < rowCount && claimKind[(int) row] != 0) {
            return;
        }
        if (unkept++ < 10) {
            unkeptSample.append(unkept == 1 ? "" : ", ").append("row ").append(row).append(" (").append(what).append(')');
        }
    }

    /** Reads a page of the fallback's map into {@link #buffer}; false, with a warning, when it does not verify. */
    private boolean fallbackRead(long row, long expectedId, PageKind kind, String where, long epoch) {
        if (row < 1 || row >= pages.dims()[0]) {
            report.warning(where, -1, "row of the fallback", "1.." + (pages.dims()[0] - 1), Long.toString(row));
            return false;
        }
        try {
            pages.readChunk(row, buffer);
        } catch (Hdf5Exception e) {
            report.warning(where, -1, "unreadable chunk of the fallback", "a written page", "never written or unreadable");
            return false;
        }
        report.pagesChecked++;
        String why = PageLayout.storedCrc(buffer) != PageLayout.computedCrc(buffer) ? "page checksum"
                : PageLayout.kind(buffer) != kind ? "page kind " + kindName(buffer)
                : PageLayout.pageId(buffer) != expectedId ? "page id " + PageLayout.pageId(buffer)
                : PageLayout.epoch(buffer) < 1 || PageLayout.epoch(buffer) > epoch ? "page epoch " + PageLayout.epoch(buffer)
                : null;
        if (why != null) {
            report.warning(where, -1, "fallback page does not verify (" + why + "): the fallback is damaged",
                    kind + " page " + expectedId, why);
            return false;
        }
        return true;
    }

    /** Reads a PAGE_MAP_INDEX or DELETION_LOG chain; returns its values (what was readable). */
    private long[] readChain(long root, PageKind kind, byte claimAs, String name) {
        return readChain(root, kind, claimAs, name, false);
    }

    /**
     * Reads a chain from {@code root}; returns its values (what was readable). The current
     * checkpoint's ({@code ofFallback} false): each page's row claimed as {@code claimAs}, damage
     * an error. The fallback's: each page's row checked to be {@linkplain #kept kept}, damage a warning.
     */
    private long[] readChain(long root, PageKind kind, byte claimAs, String name, boolean ofFallback) {
        long[] values = new long[16];
        int n = 0;
        int per = FreeListLayout.idsPerPage(meta.pageSize());
        int position = 0;
        for (long row = root; row != StoreFormat.NULL_PAGE && position <= rowCount; position++) {
            String where = name + " page " + position + " (row " + row + ")";
            if (ofFallback) {
                kept(row, name + " page " + position);
                if (!fallbackRead(row, position, kind, where, fallback.epoch())) {
                    break;
                }
            } else if (!claim(row, claimAs, position, where) || !readRow(row, position, kind, where)) {
                break;
            }
            int count = FreeListLayout.count(buffer);
            if (count < 0 || count > per) {
                if (ofFallback) {
                    report.warning(where, FreeListLayout.COUNT_OFFSET, "entries in a " + kind + " page of the fallback",
                            "0.." + per, Integer.toString(count));
                } else {
                    report.error(where, FreeListLayout.COUNT_OFFSET, "entries in a " + kind + " page", "0.." + per,
                            Integer.toString(count));
                }
                break;
            }
            if (n + count > values.length) {
                values = Arrays.copyOf(values, Math.max(n + count, values.length * 2));
            }
            for (int k = 0; k < count; k++) {
                values[n++] = FreeListLayout.id(buffer, k);
            }
            row = FreeListLayout.next(buffer);
        }
        return Arrays.copyOf(values, n);
    }

    /** Records that {@code row} is used as described; false (and a finding) when out of range or used already. */
    private boolean claim(long row, byte kind, long owner, String where) {
        if (row < 1 || row >= rowCount) {
            report.error(where, -1, "row", "1.." + (rowCount - 1) + " (below the row count)", Long.toString(row));
            return false;
        }
        int r = (int) row;
        if (claimKind[r] != 0) {
            report.error("row " + row, -1, "row used twice", claimName(claimKind[r], claimOwner[r]),
                    "also " + claimName(kind, owner) + " (" + where + ")");
            return false;
        }
        claimKind[r] = kind;
        claimOwner[r] = owner;
        return true;
    }

    private static String claimName(byte kind, long owner) {
        return switch (kind) {
            case MAP_INDEX -> "page map index page " + owner;
            case MAP_LEAF -> "page map leaf " + owner;
            case LOG -> "deletion log page " + owner;
            case PAGE -> "page " + owner;
            case RETIRED -> "retired in epoch " + owner + " (deletion log)";
            default -> "?";
        };
    }

    /** Reads a row of the map's own structures into {@link #buffer} and verifies it; false (with a finding) if bad. */
    private boolean readRow(long row, long expectedId, PageKind kind, String where) {
        try {
            pages.readChunk(row, buffer);
        } catch (Hdf5Exception e) {
            report.error(where, -1, "unreadable chunk", "a written page", "never written or unreadable");
            return false;
        }
        report.pagesChecked++;
        report.rowsChecked++;
        int stored = PageLayout.storedCrc(buffer);
        int computed = PageLayout.computedCrc(buffer);
        if (stored != computed) {
            report.error(where, PageLayout.CRC_OFFSET, "page checksum", "0x" + Integer.toHexString(stored),
                    "0x" + Integer.toHexString(computed));
            return false;
        }
        boolean ok = true;
        if (PageLayout.kind(buffer) != kind) {
            report.error(where, PageLayout.KIND_OFFSET, "page kind", kind.name(), kindName(buffer));
            ok = false;
        }
        if (PageLayout.pageId(buffer) != expectedId) {
            report.error(where, PageLayout.PAGE_ID_OFFSET, "page id in the header", Long.toString(expectedId),
                    Long.toString(PageLayout.pageId(buffer)));
            ok = false;
        }
        long epoch = PageLayout.epoch(buffer);
        if (epoch < 1 || epoch > meta.epoch()) {
            report.error(where, PageLayout.EPOCH_OFFSET, "page epoch", "1.." + meta.epoch(), Long.toString(epoch));
            ok = false;
        }
        return ok;
    }

    private static String kindName(MemorySegment page) {
        return PageLayout.kind(page) + "(" + PageLayout.kindCode(page) + ")";
    }

    // ---- directory, buckets, value lists ----------------------------------------------------

    private void checkIndex() {
        if (meta.directoryRoot() == StoreFormat.NULL_PAGE) {
            if (meta.keys() != 0 || meta.values() != 0) {
                report.error("meta", MetaLayout.DIRECTORY_ROOT_OFFSET, "directory root of a store holding keys",
                        "a page", "0 (keys " + meta.keys() + ", values " + meta.values() + ")");
            }
            report.note("no directory yet (empty store)");
            return;
        }
        long root = meta.directoryRoot();
        int depth;
        long buckets;
        long[] counters = new long[3];
        MemorySegment page;
        try {
            page = space.read(root);
        } catch (CorruptionException e) {
            report.error(space.where(root), -1, "directory root: " + e.getMessage(), null, null);
            return;
        }
        if (PageLayout.kind(page) != PageKind.DIRECTORY) {
            report.error(space.where(root), PageLayout.KIND_OFFSET, "directory root page kind", "DIRECTORY",
                    kindName(page));
            return;
        }
        depth = DirectoryLayout.depth(page);
        buckets = page.get(LONG, DirectoryLayout.BUCKETS_OFFSET);
        counters[0] = page.get(LONG, DirectoryLayout.OVERFLOW_PAGES_OFFSET);
        counters[1] = page.get(LONG, DirectoryLayout.VALUE_LISTS_OFFSET);
        counters[2] = page.get(LONG, DirectoryLayout.USED_SLOTS_OFFSET);
        if (depth < 0 || depth > Directory.MAX_DEPTH) {
            report.error(space.where(root), DirectoryLayout.DEPTH_OFFSET, "directory global depth",
                    "0.." + Directory.MAX_DEPTH, Integer.toString(depth));
            return;
        }
        if (depth != meta.globalDepth()) {
            report.error(space.where(root), DirectoryLayout.DEPTH_OFFSET, "directory global depth against the meta",
                    Integer.toString(meta.globalDepth()), Integer.toString(depth));
        }
        long size = 1L << depth;
        if (buckets < 1 || buckets > size) {
            report.error(space.where(root), DirectoryLayout.BUCKETS_OFFSET, "directory bucket count", "1.." + size,
                    Long.toString(buckets));
            buckets = Math.clamp(buckets, 1, size);
        }
        long[] entries = new long[(int) buckets];
        int n = 0;
        int perPage = DirectoryLayout.entriesPerPage(meta.pageSize());
        Set<Long> chain = new HashSet<>();
        for (long id = root; id != StoreFormat.NULL_PAGE; ) {
            if (!chain.add(id)) {
                report.error(space.where(id), -1, "directory chain", "acyclic", "page " + id + " again");
                break;
            }
            try {
                page = space.read(id);
            } catch (CorruptionException e) {
                report.error(space.where(id), -1, "directory page: " + e.getMessage(), null, null);
                break;
            }
            if (PageLayout.kind(page) != PageKind.DIRECTORY || DirectoryLayout.depth(page) != depth) {
                report.error(space.where(id), PageLayout.KIND_OFFSET, "directory page", "DIRECTORY at depth " + depth,
                        kindName(page) + " at depth " + DirectoryLayout.depth(page));
                break;
            }
            int count = DirectoryLayout.count(page);
            if (count < 0 || count > perPage || n + count > entries.length) {
                report.error(space.where(id), DirectoryLayout.COUNT_OFFSET, "directory page entries",
                        "0.." + Math.min(perPage, entries.length - n), Integer.toString(count));
                break;
            }
            MemorySegment.copy(page, LONG, DirectoryLayout.ENTRIES_OFFSET, entries, n, count);
            n += count;
            id = DirectoryLayout.next(page);
        }
        space.endOperation();
        if (n != buckets) {
            report.error("directory", -1, "bucket entries in the directory chain", Long.toString(buckets),
                    Integer.toString(n));
        }
        report.note("directory: global depth " + depth + ", " + n + " buckets in " + chain.size() + " pages");
        BucketLayout layout = new BucketLayout(meta.keyBytes(), meta.pageSize());
        BucketWalk walk = new BucketWalk(layout);
        long i = 0;
        Set<Long> bucketPages = new HashSet<>();
        for (int b = 0; b < n; b++) {
            long e = entries[b];
            int local = Directory.depth(e);
            long pageId = Directory.page(e);
            String where = "directory index " + i + " (bucket entry " + b + ")";
            if (local > depth) {
                report.error(where, -1, "local depth above the global depth", "<= " + depth, Integer.toString(local));
                break;
            }
            long span = 1L << (depth - local);
            if (i % span != 0 || i + span > size) {
                report.error(where, -1, "bucket entries contiguous and aligned", "a bucket of depth " + local
                        + " starting at a multiple of " + span + " within " + size, "index " + i);
                break;
            }
            if (!bucketPages.add(pageId)) {
                report.error(where, -1, "bucket page listed by two directory entries", "each bucket once",
                        "page " + pageId + " again");
            } else {
                walk.bucket(pageId, local, i >>> (depth - local), i);
            }
            i += span;
        }
        if (i != size && n == buckets) {
            report.error("directory", -1, "entries covered by the buckets", Long.toString(size), Long.toString(i));
        }
        report.buckets = n;
        compare("meta", MetaLayout.KEYS_OFFSET, "key count", meta.keys(), report.keys);
        compare("meta", MetaLayout.VALUES_OFFSET, "value count", meta.values(), report.values);
        compare(space.where(root), DirectoryLayout.BUCKETS_OFFSET, "bucket count", buckets, n);
        compare(space.where(root), DirectoryLayout.OVERFLOW_PAGES_OFFSET, "overflow page count", counters[0],
                report.overflowPages);
        compare(space.where(root), DirectoryLayout.VALUE_LISTS_OFFSET, "value list count", counters[1],
                report.valueLists);
        compare(space.where(root), DirectoryLayout.USED_SLOTS_OFFSET, "used slot count", counters[2], walk.usedSlots);
    }

    private void compare(String where, long offset, String what, long recorded, long found) {
        if (recorded != found) {
            report.error(where, offset, what + " recorded against what the pages hold", Long.toString(recorded),
                    Long.toString(found));
        }
    }

    /** Checks buckets and their chains; one instance for the whole walk (reuses its buffers). */
    private final class BucketWalk {
        private final BucketLayout layout;
        private final BucketPage page;
        private final MemorySegment copy;
        private final ValueList lists;
        private final long[] inline = new long[HashDirConfig.MAX_INLINE_VALUES + 1];
        private final byte[] key;
        private long usedSlots;

        BucketWalk(BucketLayout layout) {
            this.layout = layout;
            this.page = new BucketPage(layout);
            this.copy = arena.allocate(meta.pageSize(), 8);
            this.lists = new ValueList(space);
            this.key = new byte[layout.keyBytes()];
        }

        void bucket(long primary, int local, long prefixBits, long dirIndex) {
            Set<ByteBuffer> keys = new HashSet<>();
            long id = primary;
            for (int position = 0; id != StoreFormat.NULL_PAGE; position++) {
                if (position > 0) {
                    report.overflowPages++;
                }
                try {
                    MemorySegment.copy(space.read(id), 0, copy, 0, meta.pageSize());
                } catch (CorruptionException e) {
                    report.error(space.where(id), -1, (position == 0 ? "bucket of directory index " + dirIndex
                            : "overflow page " + position + " of bucket " + primary) + ": " + e.getMessage(), null, null);
                    space.endOperation();
                    return;
                }
                space.endOperation();
                page.wrap(copy, id);
                PageKind expected = position == 0 ? PageKind.BUCKET : PageKind.OVERFLOW;
                if (PageLayout.kind(copy) != expected) {
                    report.error(space.where(id), PageLayout.KIND_OFFSET, "bucket page kind", expected.name(),
                            kindName(copy));
                    return;
                }
                if (page.depth() != local) {
                    report.error(space.where(id), BucketLayout.DEPTH_OFFSET, "bucket local depth against the directory",
                            Integer.toString(local), Integer.toString(page.depth()));
                }
                int slotsInHeader = Short.toUnsignedInt(copy.get(ValueLayout.JAVA_SHORT_UNALIGNED, BucketLayout.SLOTS_OFFSET));
                if (slotsInHeader != layout.slots()) {
                    report.error(space.where(id), BucketLayout.SLOTS_OFFSET, "bucket slot count",
                            Integer.toString(layout.slots()), Integer.toString(slotsInHeader));
                    return;
                }
                if (checkMask(id)) {
                    slots(id, local, prefixBits, dirIndex, keys);
                }
                id = page.next();
            }
        }

        /** SECDED of each mask word; false when a word cannot be corrected (the slots are then not read). */
        private boolean checkMask(long id) {
            boolean correctable = true;
            for (int w = 0; w < layout.maskWords(); w++) {
                long word = copy.get(LONG, layout.maskWordOffset(w));
                int check = copy.get(ValueLayout.JAVA_BYTE, layout.eccOffset(w)) & 0xFF;
                int syndrome = Secded.syndrome(word, check);
                if (syndrome == 0) {
                    continue;
                }
                if (Secded.correctable(syndrome)) {
                    report.eccCorrectable++;
                    report.warning(space.where(id), layout.maskWordOffset(w), "bucket state mask word " + w
                            + " has one flipped bit (correctable by SECDED; rewritten when the page next changes)",
                            "syndrome 0", "syndrome 0x" + Integer.toHexString(syndrome));
                } else {
                    correctable = false;
                    report.error(space.where(id), layout.maskWordOffset(w), "bucket state mask word " + w
                            + " has two or more flipped bits (not correctable): its slots cannot be read",
                            "syndrome 0", "syndrome 0x" + Integer.toHexString(syndrome));
                }
            }
            if (correctable) {
                page.repairMask(); // the checker's copy only
            }
            return correctable;
        }

        private void slots(long id, int local, long prefixBits, long dirIndex, Set<ByteBuffer> keys) {
            int used = 0;
            int records = 0;
            int outside = 0;
            String firstOutside = null;
            int perContinuation = layout.valuesPerContinuation();
            MemorySegment keySeg = MemorySegment.ofArray(key);
            for (int s = 0; s < layout.slots(); s++) {
                int state = page.state(s);
                if (state != SlotState.FREE) {
                    used++;
                }
                if (state == SlotState.CONTINUATION) {
                    int prev = s == 0 ? SlotState.FREE : page.state(s - 1);
                    if (prev == SlotState.FREE || prev == SlotState.KEY_EXTERNAL) {
                        report.error(space.where(id), layout.slotOffset(s), "slot " + s + " state",
                                "a continuation after a key", "a continuation after " + stateName(prev));
                    }
                    int k = page.fingerprint(s);
                    if (k < 1 || k > perContinuation) {
                        report.error(space.where(id), layout.fingerprintOffset(s), "values in continuation slot " + s,
                                "1.." + perContinuation, Integer.toString(k));
                    }
                    continue;
                }
                if (!SlotState.holdsKey(state)) {
                    continue;
                }
                records++;
                page.copyKey(s, keySeg, 0);
                String hex = HexFormat.of().formatHex(key);
                if (!keys.add(ByteBuffer.wrap(key.clone()))) {
                    report.error(space.where(id), layout.slotOffset(s), "key " + hex + " appears twice in its bucket",
                            "once", "again in slot " + s);
                }
                if (local > 0 && page.prefix(s) >>> (64 - local) != prefixBits) {
                    if (outside++ == 0) {
                        firstOutside = "key " + hex + " (slot " + s + ") has top bits "
                                + Long.toBinaryString(page.prefix(s) >>> (64 - local));
                    }
                }
                report.keys++;
                if (state == SlotState.KEY_EXTERNAL) {
                    valueList(id, s, hex);
                } else {
                    inlineSet(id, s, hex, perContinuation);
                }
            }
            if (outside > 0) {
                report.error(space.where(id) + " (bucket of directory index " + dirIndex + ")", -1, outside
                        + " key(s) outside the bucket's prefix; first: " + firstOutside, "top " + local + " bits "
                        + Long.toBinaryString(prefixBits), outside + " key(s) elsewhere");
            }
            usedSlots += used;
            if (used != page.used() || records != page.records()) {
                report.error(space.where(id), BucketLayout.USED_OFFSET, "bucket header counts against the state mask",
                        "used " + used + ", records " + records, "used " + page.used() + ", records " + page.records());
            }
        }

        private void inlineSet(long id, int s, String hex, int perContinuation) {
            int n = 1;
            for (int c = s + 1; c < layout.slots() && page.state(c) == SlotState.CONTINUATION; c++) {
                int k = page.fingerprint(c);
                if (k < 1 || k > perContinuation) {
                    return; // reported with the slot
                }
                n += k;
            }
            if (n > HashDirConfig.MAX_INLINE_VALUES) {
                report.error(space.where(id), layout.slotOffset(s), "inline values of key " + hex,
                        "<= " + HashDirConfig.MAX_INLINE_VALUES, Integer.toString(n));
                return;
            }
            page.readInline(s, inline);
            for (int k = 1; k < n; k++) {
                if (Long.compareUnsigned(inline[k - 1], inline[k]) >= 0) {
                    report.error(space.where(id), layout.slotOffset(s), "inline values of key " + hex
                            + " not strictly ascending at " + k, "> " + Long.toUnsignedString(inline[k - 1]),
                            Long.toUnsignedString(inline[k]));
                    break;
                }
            }
            report.values += n;
        }

        private void valueList(long id, int s, String hex) {
            long root = page.payload(s);
            report.valueLists++;
            try {
                lists.check(root);
                long total = ValueListLayout.total(space.read(root));
                if (total == 0) {
                    report.error(space.where(root), ValueListLayout.TOTAL_OFFSET, "value list of key " + hex
                            + " (" + space.where(id) + " slot " + s + ")", "not empty", "empty");
                }
                report.values += total;
            } catch (CorruptionException e) {
                long at = e.page() > 0 ? e.page() : root;
                report.error(space.where(at), -1, "value list of key " + hex + " (" + space.where(id) + " slot " + s
                        + "): " + e.getMessage(), null, null);
                try {
                    report.values += ValueListLayout.total(space.read(root)); // its recorded total: no knock-on error
                } catch (CorruptionException unreadableRoot) {
                    // reported above; the totals will differ
                }
            } finally {
                space.endOperation();
            }
        }
    }

    private static String stateName(int state) {
        return switch (state) {
            case SlotState.FREE -> "FREE";
            case SlotState.KEY -> "KEY";
            case SlotState.CONTINUATION -> "CONTINUATION";
            default -> "KEY_EXTERNAL";
        };
    }

    // ---- rows ------------------------------------------------------------------------------

    private void accountRows() {
        long leaked = 0;
        StringBuilder sample = new StringBuilder();
        for (long id = 1; id < pageCount; id++) {
            if (rowOf[(int) id] != 0 && !space.reached(id)) {
                if (leaked < 10) {
                    sample.append(leaked == 0 ? "" : ", ").append(space.where(id));
                }
                leaked++;
            }
        }
        if (leaked > 0) {
            report.warning("page map", -1, leaked + " leaked page(s): mapped to a row but reachable from nothing"
                    + " (space lost until rebuilt): " + sample + (leaked > 10 ? ", ..." : ""), null, null);
        }
        long free = 0;
        for (int r = 1; r < rowCount; r++) {
            free += claimKind[r] == 0 ? 1 : 0;
        }
        report.leakedPages = leaked;
        report.freeRows = free;
        report.note("rows: " + rowCount + " (row 0 unused), " + free + " free, " + report.retiredRows + " retired, "
                + leaked + " leaked pages");
    }
}
