package dev.hashdir.engine.page;

import dev.hashdir.bindings.libc.LibC;
import dev.hashdir.engine.CorruptionException;
import dev.hashdir.engine.store.PageKind;
import dev.hashdir.engine.store.PageLayout;
import dev.hashdir.engine.store.PageStore;
import dev.hashdir.engine.store.PageWriteException;
import dev.hashdir.engine.store.StoreFormat;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.function.LongConsumer;

/**
 * The engine's {@link PageSpace} over a {@link PageStore}: page frames off-heap, a fixed number of
 * them (the configured bytes, at least {@value #MIN_FRAMES} frames), CLOCK eviction of pages not
 * touched in the current operation, dirty pages written back when their frame is needed or on
 * {@link #flush()}.
 *
 * <h2>Memory and lookups</h2>
 * The frames are one anonymous mapping on Linux, with transparent huge pages requested
 * ({@code madvise}): memory is committed as frames are first used (a cache larger than the store
 * costs address space, not memory), and random access over hundreds of MiB of frames does not miss
 * the TLB on every page. A page id finds its frame in an array indexed by id (4 bytes an id), sized
 * at open for as many ids as there are frames, so a store that fits the cache never grows it (nor
 * the page map's arrays); past that it doubles. Bucket pages are read in place through
 * {@link #memory()} and {@link #readAt} (no segment object per page on the way).
 *
 * <p>Page ids are logical: the {@link PageMap} maps each to a row of the file, so that a page of
 * the last durable checkpoint is never overwritten (its first write in a new epoch goes to a fresh
 * row) while the structures above keep stable ids. Ids come from the ids the map has no row for
 * (free at the last checkpoint, or given back by {@link #free}) or else from the high-water mark
 * ({@code Meta.pageCount}).
 *
 * <h2>Checkpoints</h2>
 * {@link #beginCheckpoint()} freezes epoch E: its dirty frames become <em>pending</em> and new
 * changes belong to E+1. {@link #checkpointStep} writes pending images, then the map's leaves,
 * then its index chain and deletion log, a bounded number of pages per call. A pending frame that
 * E+1 modifies first has its E image copied aside (a <em>shadow</em>, written by a later step in
 * its turn), so E's images stay those of the moment it froze and the modification costs a memory
 * copy, not a page write; once {@link #shadowLimit()} shadows are held, or when E+1 frees or evicts
 * the frame, the E image is written there and then. A page's shadow is written before any write
 * or free of that page in E+1. {@link #finishCheckpoint()} returns the roots; the caller syncs,
 * writes the meta, syncs, then calls {@link #checkpointPublished}.
 *
 * <p>Pinning: a frame returned in the current operation is never evicted. An operation that holds
 * more pages than there are frames does not fail: the cache grows by spill frames for the rest of
 * the operation and shrinks back to its bound at {@link #endOperation()} (counted in
 * {@link #spilledFrames()}).
 *
 * <p>Threading: engine thread only. Not thread-safe.
 */
public final class PageCache implements PageSpace, AutoCloseable {

    /** The fewest frames a cache has, whatever the configured bytes. */
    public static final int MIN_FRAMES = 256;
    /** Transparent huge page size (x86_64, aarch64 with 4 KiB base pages): frames start on such a boundary. */
    private static final long HUGE_PAGE = 2L << 20;
    /** The fewest shadows a cache may hold (a cache of {@code 8 * MIN_SHADOWS} frames or fewer holds this many). */
    static final int MIN_SHADOWS = 64;

    private final PageStore store;
    private final int pageSize;
    private final int baseFrames;
    private final Arena arena = Arena.ofShared();
    /** The base frames, contiguous: frame f (below baseFrames) is bytes [f * pageSize, (f+1) * pageSize). */
    private final MemorySegment memory;

    /** Per page id: its frame + 1, or 0 when not resident. Grows with the id high-water mark. */
    private int[] frameOfId;
    private MemorySegment[] frames;
    private long[] pageIn;
    /**
     * Per frame, CLOCK state and pin in one word: the operation that last touched it (pinned while
     * that is the current one, referenced while nonzero); 0 when the hand took its second chance.
     */
    private long[] touched;
    private boolean[] dirty;
    private int frameCount;
    /**
     * Frames the cache fills before it evicts (at most {@link #baseFrames}): lowered while a WAL is
     * replayed ({@link #limitFrames}), so that recovery reuses a few frames rather than touching
     * the whole mapping for the first time.
     */
    private int frameLimit;
    /** Frames at or past this one never held a page (CLOCK looks below it only). */
    private int clockEnd;
    private int[] emptyFrames;
    private int emptyCount;
    private int hand;
    private long operation = 1;

    private long[] freeIds = new long[64];
    private int freeCount;
    private final PageMap map;
    /** Per frame: holds the image of the frozen epoch, not yet written. */
    private boolean[] pending;
    private long[] checkpointIds = new long[0];
    /**
     * One bit per page id, zero between checkpoints: {@link #beginCheckpoint} marks the dirty ids
     * here and reads them back in order, instead of sorting them (a begin's p50 at 10M keys: 1.9-2.1
     * ms with the sort, 0.9 ms without).
     */
    private long[] beginBits = new long[0];
    private int checkpointCount;
    private int checkpointCursor;
    private boolean checkpointing;
    private boolean rootsBegun;
    /** Whether the running checkpoint took a step (then no more {@link #writeCheckpointPage}). */
    private boolean stepped;
    private long checkpointEpoch;
    /**
     * Per position of {@link #checkpointIds}: the shadow slot + 1 holding that page's image of the
     * frozen epoch, or 0 when none.
     */
    private int[] checkpointShadow = new int[0];
    /** Shadow slots at most: an eighth of the frames (at least {@link #MIN_SHADOWS}). */
    private final int shadowLimit;
    /** The shadows' memory (mapped like the frames', committed as slots are first used); null until a checkpoint needs one. */
    private MemorySegment shadowMemory;
    private int shadowSlots;
    private int[] freeShadows;
    private int freeShadowCount;
    private int shadowsHeld;
    private long shadowCopies;
    private long highWater;
    private long epoch;
    private long frozenPageCount;

    private long hits;
    private long misses;
    private long writes;
    private long spilled;
    private long writeFailures;

    /**
     * A cache of {@code max(MIN_FRAMES, cacheBytes / pageSize)} frames over {@code store}. Page ids
     * start after the store's {@code Meta.pageCount}; pages allocated get epoch {@code meta.epoch + 1}.
     */
    public PageCache(PageStore store, long cacheBytes) {
        this((int) Math.max(MIN_FRAMES, Math.min(Integer.MAX_VALUE / 2, cacheBytes / store.pageSize())), store);
    }

    /** A cache of exactly {@code frames} frames (at least 8): tests use a few to evict all the time. */
    public static PageCache withFrames(PageStore store, int frames) {
        return new PageCache(frames, store);
    }

    private PageCache(int frameBound, PageStore store) {
        if (frameBound < 8) {
            throw new IllegalArgumentException("a page cache needs at least 8 frames: frames=" + frameBound);
        }
        this.store = store;
        this.pageSize = store.pageSize();
        this.baseFrames = frameBound;
        this.shadowLimit = Math.max(MIN_SHADOWS, frameBound / 8);
        this.frames = new MemorySegment[baseFrames];
        this.pageIn = new long[baseFrames];
        this.touched = new long[baseFrames];
        this.dirty = new boolean[baseFrames];
        this.pending = new boolean[baseFrames];
        this.emptyFrames = new int[baseFrames];
        this.highWater = Math.max(1, store.meta().pageCount());
        this.epoch = store.meta().epoch() + 1;
        // ids are sized for as many pages as there are frames up front (a few bytes per frame of
        // 4 KiB), so a store that fits the cache never grows them while it is written
        long ids = Math.max(baseFrames, highWater + highWater / 2);
        this.frameOfId = new int[(int) Math.min(Integer.MAX_VALUE - 8, ids)];
        try {
            this.memory = frameMemory((long) baseFrames * pageSize);
            this.map = new PageMap(store, arena, ids); // reads the page map: may fail (I/O, corruption)
        } catch (RuntimeException | Error e) {
            arena.close(); // the frames' mapping and the map's scratch: a failed open leaks nothing
            throw e;
        }
        for (int f = 0; f < baseFrames; f++) {
            frames[f] = memory.asSlice((long) f * pageSize, pageSize);
            emptyFrames[f] = baseFrames - 1 - f;
        }
        this.frameCount = baseFrames;
        this.frameLimit = baseFrames;
        this.emptyCount = baseFrames;
        for (long id : map.unmappedBelow(highWater)) {
            pushFree(id);
        }
    }

    /**
     * The frames' memory: on Linux an anonymous mapping with transparent huge pages (committed as
     * pages are first used; random access over hundreds of MiB of frames then misses the TLB far
     * less), else (or if the mapping fails) zeroed memory from the arena.
     */
    private MemorySegment frameMemory(long bytes) {
        if (System.getProperty("os.name", "").startsWith("Linux")) {
            try {
                MemorySegment mapped = LibC.mapAnonymous(bytes + HUGE_PAGE, true, arena);
                long skip = -mapped.address() & (HUGE_PAGE - 1);
                return mapped.asSlice(skip, bytes);
            } catch (IOException e) {
                // fall back to the arena: same memory, small pages
            }
        }
        return arena.allocate(bytes, 4096);
    }

    @Override
    public int pageSize() {
        return pageSize;
    }

    @Override
    public MemorySegment read(long id) {
        int f = touch(frameFor(id)); // before reading the field: finding a frame may grow the arrays
        return frames[f];
    }

    @Override
    public MemorySegment modify(long id) {
        return frames[modifyFrame(id)];
    }

    @Override
    public MemorySegment memory() {
        return memory;
    }

    @Override
    public long readAt(long id) {
        int f = touch(frameFor(id));
        return f < baseFrames ? (long) f * pageSize : -1;
    }

    @Override
    public long modifyAt(long id) {
        int f = modifyFrame(id);
        return f < baseFrames ? (long) f * pageSize : -1;
    }

    private int modifyFrame(long id) {
        int f = touch(frameFor(id));
        if (pending[f]) {
            copyOnWrite(f, true);
        }
        dirty[f] = true;
        return f;
    }

    @Override
    public long allocate(PageKind kind) {
        long id = freeCount > 0 ? freeIds[--freeCount] : newId();
        install(id, kind);
        return id;
    }

    @Override
    public void free(long id) {
        checkId(id);
        int f = frameOf(id);
        if (f >= 0) {
            if (pending[f]) {
                copyOnWrite(f, false);
            }
            drop(f);
        }
        int shadow = shadowPosition(id);
        if (shadow >= 0) { // the frozen image goes first, as copy-on-write would have written it
            try {
                writeShadow(shadow);
            } catch (PageWriteException e) {
                releaseShadow(shadow); // given up like a failed copy-on-write: this checkpoint is never published
                writeFailures++;
            }
        }
        map.free(id, epoch);
        pushFree(id);
    }

    @Override
    public void release(long id) {
        int f = frameOf(id);
        if (f >= 0 && touched[f] == operation) {
            touched[f] = operation - 1;
        }
    }

    @Override
    public void endOperation() {
        operation++;
        if (frameCount > baseFrames) {
            shrinkToBound();
        }
    }

    /** Writes every dirty page to the store (not synced), in page id order. */
    public void flush() {
        long[] ids = new long[frameCount];
        int n = 0;
        for (int f = 0; f < frameCount; f++) {
            if (dirty[f]) {
                ids[n++] = pageIn[f];
            }
        }
        Arrays.sort(ids, 0, n);
        for (int i = 0; i < n; i++) {
            writeBack(frameOf(ids[i]));
        }
    }

    /** Calls {@code action} with the id of every dirty page (what a checkpoint has to write). */
    public void forEachDirty(LongConsumer action) {
        for (int f = 0; f < frameCount; f++) {
            if (dirty[f]) {
                action.accept(pageIn[f]);
            }
        }
    }

    /** Dirty pages now in the cache. */
    public int dirtyPages() {
        int n = 0;
        for (int f = 0; f < frameCount; f++) {
            n += dirty[f] ? 1 : 0;
        }
        return n;
    }

    // ---- checkpoints ---------------------------------------------------------------------

    /**
     * Freezes the current epoch E for a checkpoint: its dirty pages become pending, later changes
     * belong to E+1. Returns E.
     *
     * @throws IllegalStateException when a checkpoint is already running
     */
    public long beginCheckpoint() {
        if (checkpointing) {
            throw new IllegalStateException("a checkpoint of epoch " + checkpointEpoch + " is already running");
        }
        if (checkpointIds.length < frameCount) {
            checkpointIds = new long[frameCount];
            checkpointShadow = new int[frameCount];
        }
        int words = (int) ((highWater + 63) >>> 6);
        if (beginBits.length < words) {
            beginBits = new long[Math.max(words, 2 * beginBits.length)];
        }
        long[] bits = beginBits;
        int n = 0;
        for (int f = 0; f < frameCount; f++) {
            if (dirty[f]) {
                dirty[f] = false;
                pending[f] = true;
                long id = pageIn[f];
                bits[(int) (id >>> 6)] |= 1L << id;
                n++;
            }
        }
        int k = 0;
        for (int w = 0; w < words && k < n; w++) { // ascending ids, the bits cleared for the next begin
            long word = bits[w];
            if (word != 0) {
                bits[w] = 0;
                long base = (long) w << 6;
                do {
                    checkpointIds[k++] = base | Long.numberOfTrailingZeros(word);
                    word &= word - 1;
                } while (word != 0);
            }
        }
        checkpointCount = k;
        checkpointCursor = 0;
        checkpointEpoch = epoch;
        checkpointing = true;
        rootsBegun = false;
        stepped = false;
        map.freeze(epoch, highWater);
        frozenPageCount = highWater;
        epoch++;
        return checkpointEpoch;
    }

    /**
     * What a page of the page map (a leaf, or a page of its index chain or deletion log) counts
     * against a step's budget, in page images: each is built entry by entry (a leaf's 511 rows,
     * each looked up in the checkpoint's undo record) before it is written, and measured 40 to 200
     * us against about 8 us for an image (10M keys, 64 leaves a step took 2.3 to 5.7 ms of the
     * engine thread: the longest checkpoint calls; docs/benchmarks.md, "Session 8").
     */
    static final int MAP_PAGE_COST = 8;
    /**
     * What starting the map's chains counts against a step's budget: it walks the whole deletion
     * log (1 to 4.6 ms at 10M keys), so a step of the default 64 pages does nothing else (it
     * starts them only when that much of its budget is left, or as its first work).
     */
    static final int BEGIN_ROOTS_COST = 64;

    /**
     * Writes up to {@code budget} pages of the running checkpoint (page images, then map leaves,
     * then the map's index chain and deletion log; a map page counts {@value #MAP_PAGE_COST}, and
     * a step writes at least one when any is left); returns true when all are written and
     * {@link #finishCheckpoint()} may follow.
     */
    public boolean checkpointStep(int budget) {
        if (!checkpointing) {
            throw new IllegalStateException("no checkpoint is running");
        }
        stepped = true;
        int written = 0;
        while (written < budget && checkpointCursor < checkpointCount) {
            if (checkpointShadow[checkpointCursor] != 0) {
                writeShadow(checkpointCursor);
                written++;
            } else {
                int f = frameOf(checkpointIds[checkpointCursor]);
                if (f >= 0 && pending[f]) {
                    writeCheckpointImage(f); // the cursor moves only past a written image: a failed step can be retried
                    written++;
                }
            }
            checkpointCursor++;
        }
        while (written < budget && checkpointCursor >= checkpointCount) {
            if (!map.leavesDone()) {
                written += MAP_PAGE_COST * map.writeLeaves(mapPages(budget - written));
            } else if (!rootsBegun) {
                if (written > 0 && written + BEGIN_ROOTS_COST > budget) {
                    break; // in the next step, which it may then take whole
                }
                map.beginRoots();
                rootsBegun = true;
                written += BEGIN_ROOTS_COST;
            } else {
                int pages = map.writeRootPages(mapPages(budget - written));
                if (pages == 0) {
                    break;
                }
                written += MAP_PAGE_COST * pages;
            }
        }
        return checkpointCursor >= checkpointCount && map.leavesDone() && rootsBegun && map.rootsDone();
    }

    /** Map pages a step may still write with {@code budget} left: at least one. */
    private static int mapPages(int budget) {
        return Math.max(1, budget / MAP_PAGE_COST);
    }

    /** The checkpointed epoch's map roots, once every page is written; next: sync, meta, sync. */
    public Checkpoint finishCheckpoint() {
        if (!checkpointing || !checkpointStep(0)) {
            throw new IllegalStateException("the checkpoint's pages are not all written yet");
        }
        PageMap.Roots roots = map.roots();
        return new Checkpoint(checkpointEpoch, frozenPageCount, roots.pageMapRoot(), roots.deletionLogRoot(),
                roots.rowCount());
    }

    /**
     * An id for a page that a checkpoint writes itself ({@link #writeCheckpointPage}) rather than
     * through a frame: taken like {@link #allocate} but with no frame and no image yet. Reserve
     * before {@link #beginCheckpoint()}, so the id belongs to the frozen epoch.
     */
    public long reserve() {
        return freeCount > 0 ? freeIds[--freeCount] : newId();
    }

    /**
     * Writes {@code page} (its header names the id; the epoch is stamped here) as the image of
     * the reserved {@code id} in the running checkpoint. Only before that checkpoint's first
     * {@link #checkpointStep}: the page map's leaves, written after the pages, must see its row.
     */
    public void writeCheckpointPage(long id, MemorySegment page) {
        if (!checkpointing || stepped) {
            throw new IllegalStateException("checkpoint pages are written between begin and the first step");
        }
        checkId(id);
        if (frameOf(id) >= 0) {
            throw new IllegalStateException("page " + id + " has a frame: not a reserved id");
        }
        long row = map.rowForWrite(id, checkpointEpoch, true);
        PageLayout.epoch(page, checkpointEpoch);
        store.writeRow(row, page);
        writes++;
    }

    /** The checkpoint's meta is durable: rows it made obsolete start their grace period. */
    public void checkpointPublished() {
        if (shadowsHeld != 0) {
            throw new IllegalStateException(shadowsHeld + " shadow images of epoch " + checkpointEpoch + " are not written");
        }
        checkpointing = false;
        map.published(checkpointEpoch);
    }

    /** Whether a checkpoint is running (between begin and published). */
    public boolean checkpointRunning() {
        return checkpointing;
    }

    /**
     * Checkpoints a row is reused after: a row a checkpoint made obsolete (superseded or freed in
     * epoch E) is reused once checkpoint E + grace is durable. At least 1 (the other meta slot).
     */
    public void graceCheckpoints(int checkpoints) {
        map.graceCheckpoints(checkpoints);
    }

    /** Rows of /pages handed out so far (high-water). */
    public long rowCount() {
        return map.rowCount();
    }

    /** Rows waiting for their grace period (the deletion log). */
    public int retiredRows() {
        return map.retiredRows();
    }

    /** Rows the running (or last) checkpoint references for its logical pages (for checks and tests). */
    public long[] checkpointRows() {
        return map.frozenRows();
    }

    /** Tests: remember the rows each published checkpoint references ({@link #publishedRows()}). */
    public void trackPublishedRows(boolean on) {
        map.trackPublished(on);
    }

    /** Pairs (row, id its header names) of every page the last published checkpoint references, when tracked. */
    public long[] publishedRows() {
        return map.publishedRows();
    }

    /**
     * What a checkpoint's meta needs from the page space.
     *
     * @param epoch           the epoch written
     * @param pageCount       logical id high-water mark of that epoch
     * @param pageMapRoot     row of the first page map index page
     * @param deletionLogRoot row of the first deletion log page (0: empty)
     * @param rowCount        row high-water mark
     */
    public record Checkpoint(long epoch, long pageCount, long pageMapRoot, long deletionLogRoot, long rowCount) {
    }

    /** High-water mark: page ids below it have been handed out (0 excepted). */
    public long pageCount() {
        return highWater;
    }

    /** Ids in the free list. */
    public long freePages() {
        return freeCount;
    }

    /** Pages in use: allocated, not freed (the free list's own pages count as in use). */
    public long pagesInUse() {
        return highWater - 1 - freeCount;
    }

    /** The epoch written into pages allocated from now on. */
    public long epoch() {
        return epoch;
    }

    /** Starts a new epoch (after a checkpoint). */
    public void epoch(long next) {
        this.epoch = next;
    }

    /** Frames the cache keeps between operations. */
    public int frames() {
        return baseFrames;
    }

    /**
     * Fills at most {@code frames} frames (clamped to {@link #MIN_FRAMES}..{@link #frames()}) from
     * now on: a page read or allocated while that many hold pages evicts one (CLOCK, dirty pages
     * written back) instead of taking an empty frame; {@code limitFrames(frames())} lifts the bound.
     * Pages resident beyond a lowered bound stay until CLOCK evicts them. Recovery replays with a
     * small bound: in a fresh process each frame's first use costs a page fault and the kernel's
     * zeroing of its memory, which over a cache of hundreds of MiB cost more than writing the
     * replayed pages back (docs/benchmarks.md, "Session 5: replay in a fresh server").
     */
    public void limitFrames(int frames) {
        frameLimit = Math.clamp(frames, Math.min(MIN_FRAMES, baseFrames), baseFrames);
    }

    /** The bound {@link #limitFrames} set ({@link #frames()} when none). */
    public int frameLimit() {
        return frameLimit;
    }

    /** Frames holding a page now (spill frames included). */
    public int residentFrames() {
        return frameCount - emptyCount;
    }

    public long hits() {
        return hits;
    }

    public long misses() {
        return misses;
    }

    /** Pages written to the store, by eviction or flush. */
    public long writes() {
        return writes;
    }

    /** Page writes that failed (eviction or copy-on-write) and were survived by keeping the page in memory. */
    public long writeFailures() {
        return writeFailures;
    }

    /** Frozen-epoch images copied aside by copy-on-write rather than written then. */
    public long shadowCopies() {
        return shadowCopies;
    }

    /** Shadows held now (written by the running checkpoint's steps). */
    public int shadowsHeld() {
        return shadowsHeld;
    }

    /** Shadows this cache holds at most. */
    public int shadowLimit() {
        return shadowLimit;
    }

    /** Spill frames ever added because one operation held every frame. */
    public long spilledFrames() {
        return spilled;
    }

    /** Frees the frames' memory. Does not flush: {@link #flush()} first. */
    @Override
    public void close() {
        arena.close();
    }

    /** The row of the store's page dataset that holds page {@code id}, or 0 if none yet. */
    public long rowOf(long id) {
        return map.row(id);
    }

    private void writeCheckpointImage(int f) {
        writeImage(f, checkpointEpoch, true);
        pending[f] = false;
    }

    /**
     * Keeps the frozen epoch's image of frame {@code f} before the current epoch changes or frees
     * it: copied into a shadow when {@code mayShadow} and one is free, else written. When that
     * write fails (the store then refuses writes until it is reopened, so this checkpoint can
     * never be published), the image is given up instead of failing the operation half done: the
     * mutation goes on in memory and the frame stays dirty.
     */
    private void copyOnWrite(int f, boolean mayShadow) {
        if (mayShadow && shadow(f)) {
            return;
        }
        try {
            writeCheckpointImage(f);
        } catch (PageWriteException e) {
            pending[f] = false;
            writeFailures++;
        }
    }

    /** Copies pending frame {@code f}'s image into a shadow; false when none is free. */
    private boolean shadow(int f) {
        int slot = takeShadow(); // first: once the shadows run out, no search
        if (slot < 0) {
            return false;
        }
        int pos = Arrays.binarySearch(checkpointIds, checkpointCursor, checkpointCount, pageIn[f]);
        if (pos < 0) {
            throw new IllegalStateException("pending page " + pageIn[f] + " is not among the checkpoint's pages left");
        }
        MemorySegment.copy(frames[f], 0, shadowMemory, (long) slot * pageSize, pageSize); // no slice: a request's path
        checkpointShadow[pos] = slot + 1;
        pending[f] = false;
        shadowsHeld++;
        shadowCopies++;
        return true;
    }

    private int takeShadow() {
        if (freeShadowCount > 0) {
            return freeShadows[--freeShadowCount];
        }
        if (shadowSlots >= shadowLimit) {
            return -1;
        }
        if (shadowMemory == null) {
            shadowMemory = frameMemory((long) shadowLimit * pageSize);
            freeShadows = new int[shadowLimit];
        }
        return shadowSlots++;
    }

    /** Writes the shadow at checkpoint position {@code pos} as that page's image of the frozen epoch, then frees it. */
    private void writeShadow(int pos) {
        MemorySegment image = shadowMemory.asSlice((long) (checkpointShadow[pos] - 1) * pageSize, pageSize);
        long row = map.rowForWrite(checkpointIds[pos], checkpointEpoch, true);
        PageLayout.epoch(image, checkpointEpoch);
        store.writeRow(row, image);
        writes++;
        releaseShadow(pos);
    }

    private void releaseShadow(int pos) {
        freeShadows[freeShadowCount++] = checkpointShadow[pos] - 1;
        checkpointShadow[pos] = 0;
        shadowsHeld--;
    }

    /** The checkpoint position of page {@code id} when it holds a shadow, else -1. */
    private int shadowPosition(long id) {
        if (shadowsHeld == 0) {
            return -1;
        }
        int pos = Arrays.binarySearch(checkpointIds, 0, checkpointCount, id);
        return pos >= 0 && checkpointShadow[pos] != 0 ? pos : -1;
    }

    private void writeImage(int f, long imageEpoch, boolean checkpointWrite) {
        long id = pageIn[f];
        int shadow = checkpointWrite ? -1 : shadowPosition(id);
        if (shadow >= 0) {
            writeShadow(shadow); // the frozen epoch's image goes first, as if it had been written at copy-on-write
        }
        long row = map.rowForWrite(id, imageEpoch, checkpointWrite);
        PageLayout.epoch(frames[f], imageEpoch);
        store.writeRow(row, frames[f]);
        writes++;
    }

    private int touch(int f) {
        touched[f] = operation;
        return f;
    }

    /** The frame of page {@code id}, or -1 when it is not resident. */
    private int frameOf(long id) {
        return id > 0 && id < frameOfId.length ? frameOfId[(int) id] - 1 : -1;
    }

    private int frameFor(long id) {
        int f = frameOf(id);
        if (f >= 0) {
            hits++;
            return f;
        }
        checkId(id);
        misses++;
        f = takeFrame();
        try {
            long row = map.row(id);
            if (row == 0) {
                throw new CorruptionException(store.file(), id, 0, "page map entry", "a row for a live page", "none");
            }
            store.readRow(row, frames[f], id);
        } catch (RuntimeException e) {
            emptyFrames[emptyCount++] = f;
            throw e;
        }
        occupy(f, id);
        return f;
    }

    /** Puts a fresh page (header written, body zeroed, dirty, touched) for {@code id} in a frame. */
    private int install(long id, PageKind kind) {
        int f = frameOf(id);
        if (f < 0) {
            f = takeFrame();
            occupy(f, id);
        }
        MemorySegment page = frames[f];
        page.fill((byte) 0);
        PageLayout.writeHeader(page, kind, id, epoch);
        dirty[f] = true;
        return touch(f);
    }

    private void occupy(int f, long id) {
        pageIn[f] = id;
        dirty[f] = false;
        pending[f] = false;
        frameOfId[(int) id] = f + 1;
    }

    private long newId() {
        long id = highWater++;
        map.ensure(highWater);
        if (highWater > frameOfId.length) {
            frameOfId = Arrays.copyOf(frameOfId, (int) Math.min(Integer.MAX_VALUE - 8, Math.max(highWater, 2L * frameOfId.length)));
        }
        return id;
    }

    private void pushFree(long id) {
        if (freeCount == freeIds.length) {
            freeIds = Arrays.copyOf(freeIds, freeCount * 2);
        }
        freeIds[freeCount++] = id;
    }

    private void checkId(long id) {
        if (id <= StoreFormat.NULL_PAGE || id >= highWater) {
            throw new IllegalArgumentException("page id out of range: id=" + id + ", pageCount=" + highWater);
        }
    }

    /**
     * A frame for a page: an empty one, or a victim evicted. When the store refuses writes (one
     * failed), only clean frames are evicted and dirty ones stay resident, so reads and the
     * operation under way go on; without a clean victim the cache spills.
     */
    private int takeFrame() {
        if (emptyCount > 0 && frameCount - emptyCount < frameLimit) {
            return takeEmpty();
        }
        int victim = clock(store.writeFailure() != null);
        if (victim >= 0) {
            try {
                evict(victim);
                return victim;
            } catch (PageWriteException e) {
                writeFailures++;
                victim = clock(true);
                if (victim >= 0) {
                    evict(victim);
                    return victim;
                }
            }
        }
        // nothing evictable within the limit (all pinned, or unwritable): past the limit before spilling
        return emptyCount > 0 ? takeEmpty() : spill();
    }

    private int takeEmpty() {
        int f = emptyFrames[--emptyCount];
        if (f >= clockEnd) {
            clockEnd = f + 1;
        }
        return f;
    }

    /**
     * CLOCK: the first frame holding a page, not touched in this operation, whose second chance is
     * used up (and, when {@code cleanOnly}, with nothing to write); or -1. Empty frames (there are
     * some only under {@link #limitFrames}) are passed over.
     */
    private int clock(boolean cleanOnly) {
        int end = clockEnd;
        if (hand >= end) {
            hand = 0;
        }
        for (int steps = 0; steps < 2 * end; steps++) {
            int f = hand;
            hand = hand + 1 >= end ? 0 : hand + 1;
            long t = touched[f];
            if (t == operation || pageIn[f] == 0 || cleanOnly && (dirty[f] || pending[f])) {
                continue;
            }
            if (t != 0) {
                touched[f] = 0;
                continue;
            }
            return f;
        }
        return -1;
    }

    private void evict(int f) {
        if (pending[f]) {
            writeCheckpointImage(f);
        }
        if (dirty[f]) {
            writeBack(f);
        }
        frameOfId[(int) pageIn[f]] = 0;
        pageIn[f] = 0;
    }

    private void drop(int f) {
        frameOfId[(int) pageIn[f]] = 0;
        pageIn[f] = 0;
        dirty[f] = false;
        pending[f] = false;
        touched[f] = 0;
        emptyFrames[emptyCount++] = f;
    }

    private void writeBack(int f) {
        writeImage(f, epoch, false);
        dirty[f] = false;
    }

    /** Adds a frame beyond the bound for the rest of this operation. */
    private int spill() {
        if (frameCount == frames.length) {
            int n = frameCount * 2;
            frames = Arrays.copyOf(frames, n);
            pageIn = Arrays.copyOf(pageIn, n);
            touched = Arrays.copyOf(touched, n);
            dirty = Arrays.copyOf(dirty, n);
            pending = Arrays.copyOf(pending, n);
            emptyFrames = Arrays.copyOf(emptyFrames, n);
        }
        spilled++;
        int f = frameCount++;
        clockEnd = Math.max(clockEnd, frameCount);
        frames[f] = Arena.ofAuto().allocate(pageSize, 8);
        return f;
    }

    /** Evicts the spill frames (those past the bound) once nothing is pinned. */
    private void shrinkToBound() {
        while (frameCount > baseFrames) {
            int f = frameCount - 1;
            if (pageIn[f] != 0) {
                if (store.writeFailure() != null && (dirty[f] || pending[f])) {
                    break; // unwritable now: the spill frame stays until the store is writable again
                }
                try {
                    evict(f);
                } catch (PageWriteException e) {
                    writeFailures++;
                    break;
                }
            }
            frameCount--;
            frames[f] = null;
            dirty[f] = false;
            pending[f] = false;
            touched[f] = 0;
        }
        int kept = 0;
        for (int i = 0; i < emptyCount; i++) {
            if (emptyFrames[i] < frameCount) {
                emptyFrames[kept++] = emptyFrames[i];
            }
        }
        emptyCount = kept;
        clockEnd = Math.min(clockEnd, frameCount);
        if (hand >= frameCount) {
            hand = 0;
        }
    }

    @Override
    public String toString() {
        return "PageCache[frames=" + baseFrames + ", pageSize=" + pageSize + ", pageCount=" + highWater
                + ", free=" + freeCount + ", hits=" + hits + ", misses=" + misses + ", writes=" + writes + "]";
    }
}
