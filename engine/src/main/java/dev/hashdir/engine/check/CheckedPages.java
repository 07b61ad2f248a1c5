package dev.hashdir.engine.check;

import dev.hashdir.bindings.hdf5.H5Dataset;
import dev.hashdir.bindings.hdf5.Hdf5Exception;
import dev.hashdir.engine.CorruptionException;
import dev.hashdir.engine.page.PageSpace;
import dev.hashdir.engine.store.PageKind;
import dev.hashdir.engine.store.PageLayout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;

/**
 * A read-only {@link PageSpace} over one checkpoint: logical id to row through the page map the
 * checker loaded, every page verified on its first read (checksum, the id in its header, page
 * version, an epoch not newer than the checkpoint). Lets the engine's own structures (value lists)
 * be checked by their own code. Nothing is ever written: {@link #modify} hands out the same private
 * copy as {@link #read}, {@link #allocate} and {@link #free} refuse.
 *
 * <p>Every id read is recorded as reachable. Pages read in one operation are cached until
 * {@link #endOperation()}; a page read again in a later operation is reachable from two places
 * (the checker reads each page in one operation only), which is reported as corruption.
 */
final class CheckedPages implements PageSpace {

    private final H5Dataset pages;
    private final int pageSize;
    private final long[] rowOf;
    private final long epoch;
    private final Arena arena;
    private final BitSet reached = new BitSet();
    private final Map<Long, MemorySegment> operation = new HashMap<>();
    private final ArrayDeque<MemorySegment> spare = new ArrayDeque<>();
    private long pagesRead;

    CheckedPages(H5Dataset pages, int pageSize, long[] rowOf, long epoch, Arena arena) {
        this.pages = pages;
        this.pageSize = pageSize;
        this.rowOf = rowOf;
        this.epoch = epoch;
        this.arena = arena;
    }

    @Override
    public int pageSize() {
        return pageSize;
    }

    /** "page 17 (row 42)": how findings name a logical page. */
    String where(long id) {
        long row = id > 0 && id < rowOf.length ? rowOf[(int) id] : 0;
        return "page " + id + (row != 0 ? " (row " + row + ")" : "");
    }

    long row(long id) {
        return id > 0 && id < rowOf.length ? rowOf[(int) id] : 0;
    }

    @Override
    public MemorySegment read(long id) {
        MemorySegment cached = operation.get(id);
        if (cached != null) {
            return cached;
        }
        if (id <= 0 || id >= rowOf.length) {
            throw new CorruptionException(id, 0, "page reference", "an id in 1.." + (rowOf.length - 1),
                    Long.toString(id));
        }
        if (reached.get((int) id)) {
            throw new CorruptionException(id, 0, "page reachable from two places", "reached once",
                    "reached again (a shared page or a cycle)");
        }
        reached.set((int) id);
        long row = rowOf[(int) id];
        if (row == 0) {
            throw new CorruptionException(id, 0, "page map entry of a reachable page", "a row",
                    "none (the page is free)");
        }
        MemorySegment page = spare.isEmpty() ? arena.allocate(pageSize, 8) : spare.pop();
        try {
            pages.readChunk(row, page);
        } catch (Hdf5Exception e) {
            spare.push(page);
            throw new CorruptionException(id, 0, "page (row " + row + ")", "a written chunk", "unreadable chunk");
        }
        pagesRead++;
        verify(id, row, page);
        operation.put(id, page);
        return page;
    }

    private void verify(long id, long row, MemorySegment page) {
        int stored = PageLayout.storedCrc(page);
        int computed = PageLayout.computedCrc(page);
        if (stored != computed) {
            throw new CorruptionException(id, PageLayout.CRC_OFFSET, "page checksum (row " + row + ")",
                    "0x" + Integer.toHexString(stored), "0x" + Integer.toHexString(computed));
        }
        long claimed = PageLayout.pageId(page);
        if (claimed != id) {
            throw new CorruptionException(id, PageLayout.PAGE_ID_OFFSET, "page id in the header (row " + row
                    + "; a page written to the wrong row?)", Long.toString(id), Long.toString(claimed));
        }
        int version = page.get(java.lang.foreign.ValueLayout.JAVA_BYTE, PageLayout.VERSION_OFFSET);
        if (version != PageLayout.PAGE_VERSION) {
            throw new CorruptionException(id, PageLayout.VERSION_OFFSET, "page format version (row " + row + ")",
                    Integer.toString(PageLayout.PAGE_VERSION), Integer.toString(version));
        }
        long pageEpoch = PageLayout.epoch(page);
        if (pageEpoch < 1 || pageEpoch > epoch) {
            throw new CorruptionException(id, PageLayout.EPOCH_OFFSET, "page epoch (row " + row + ")",
                    "1.." + epoch + " (the checkpoint's)", Long.toString(pageEpoch));
        }
        if (PageLayout.kind(page) == null || PageLayout.kind(page) == PageKind.FREE) {
            throw new CorruptionException(id, PageLayout.KIND_OFFSET, "page kind (row " + row + ")", "a page kind in use",
                    Integer.toString(PageLayout.kindCode(page)));
        }
    }

    @Override
    public MemorySegment modify(long id) {
        return read(id); // a private copy: changes (an ECC repair) never reach the file
    }

    @Override
    public long allocate(PageKind kind) {
        throw new UnsupportedOperationException("the checker's page space is read-only");
    }

    @Override
    public void free(long id) {
        throw new UnsupportedOperationException("the checker's page space is read-only");
    }

    @Override
    public void endOperation() {
        spare.addAll(operation.values());
        operation.clear();
    }

    /** Whether logical page {@code id} was read (is reachable). */
    boolean reached(long id) {
        return id >= 0 && id < Integer.MAX_VALUE && reached.get((int) id);
    }

    long pagesRead() {
        return pagesRead;
    }
}
