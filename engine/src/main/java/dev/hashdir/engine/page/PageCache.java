package dev.hashdir.engine.page;

import dev.hashdir.engine.CorruptionException;
import dev.hashdir.engine.store.PageKind;
import dev.hashdir.engine.store.PageLayout;
import dev.hashdir.engine.store.PageStore;
import dev.hashdir.engine.store.StoreFormat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.function.LongConsumer;

/**
 * The engine's {@link PageSpace} over a {@link PageStore}: page frames off-heap in one arena, a
 * fixed number of them (the configured bytes, at least {@value #MIN_FRAMES} frames), CLOCK
 * eviction of pages not touched in the current operation, dirty pages written back when their
 * frame is needed or on {@link #flush()}.
 *
 * <p>Page ids come from a free list (ids given back by {@link #free}) or else from the high-water
 * mark ({@code Meta.pageCount}). The free list is saved into FREE_LIST pages at a checkpoint
 * ({@link #saveFreeList()}) and loaded at open ({@link #loadFreeList}).
 *
 * <p>Design note: the page cache is the only place that maps a page id to a row of the file
 * ({@link #rowOf}): today the identity. Copy-on-write checkpoints will put a mapping table there
 * without the structures above noticing. {@link #forEachDirty} enumerates the pages a checkpoint
 * has to write.
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

    private final PageStore store;
    private final int pageSize;
    private final int baseFrames;
    private final Arena arena = Arena.ofShared();
    private final PageIdMap frameOf;

    private MemorySegment[] frames;
    private long[] pageIn;
    private long[] touchedIn;
    private boolean[] dirty;
    private boolean[] referenced;
    private int frameCount;
    private int[] emptyFrames;
    private int emptyCount;
    private int hand;
    private long operation = 1;

    private long[] freeIds = new long[64];
    private int freeCount;
    private long[] listPages = new long[0];
    private long highWater;
    private long epoch;

    private long hits;
    private long misses;
    private long writes;
    private long spilled;

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
        this.frameOf = new PageIdMap(baseFrames);
        this.frames = new MemorySegment[baseFrames];
        this.pageIn = new long[baseFrames];
        this.touchedIn = new long[baseFrames];
        this.dirty = new boolean[baseFrames];
        this.referenced = new boolean[baseFrames];
        this.emptyFrames = new int[baseFrames];
        MemorySegment memory = arena.allocate((long) baseFrames * pageSize, 4096);
        for (int f = 0; f < baseFrames; f++) {
            frames[f] = memory.asSlice((long) f * pageSize, pageSize);
            emptyFrames[f] = baseFrames - 1 - f;
        }
        this.frameCount = baseFrames;
        this.emptyCount = baseFrames;
        this.highWater = Math.max(1, store.meta().pageCount());
        this.epoch = store.meta().epoch() + 1;
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
        int f = touch(frameFor(id));
        dirty[f] = true;
        return frames[f];
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
        int f = frameOf.get(id);
        if (f >= 0) {
            drop(f);
        }
        pushFree(id);
    }

    @Override
    public void release(long id) {
        int f = frameOf.get(id);
        if (f >= 0 && touchedIn[f] == operation) {
            touchedIn[f] = operation - 1;
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
            writeBack(frameOf.get(ids[i]));
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

    /**
     * Saves the free list into FREE_LIST pages taken from the free list itself (the previous list's
     * pages are given back first) and returns the root page id, or 0 for an empty list. The pages
     * are dirty in the cache: {@link #flush()} writes them. Until the next save, the list's own
     * pages stay out of the free list, so the saved image stays intact.
     */
    public long saveFreeList() {
        for (long id : listPages) {
            pushFree(id);
        }
        int perPage = FreeListLayout.idsPerPage(pageSize);
        int pages = 0;
        while ((long) pages * perPage < freeCount - pages) {
            pages++;
        }
        listPages = new long[pages];
        for (int i = 0; i < pages; i++) {
            listPages[i] = freeIds[--freeCount];
        }
        int next = 0;
        for (int i = 0; i < pages; i++) {
            MemorySegment page = frames[install(listPages[i], PageKind.FREE_LIST)];
            int n = Math.min(perPage, freeCount - next);
            FreeListLayout.next(page, i + 1 < pages ? listPages[i + 1] : StoreFormat.NULL_PAGE);
            FreeListLayout.count(page, n);
            for (int k = 0; k < n; k++) {
                FreeListLayout.id(page, k, freeIds[next++]);
            }
        }
        return pages == 0 ? StoreFormat.NULL_PAGE : listPages[0];
    }

    /**
     * Loads the free list saved at {@code root} (a store opened has none yet). The list's own pages
     * are kept out of the free list until the next {@link #saveFreeList()}.
     */
    public void loadFreeList(long root) {
        long[] chain = new long[0];
        for (long id = root; id != StoreFormat.NULL_PAGE; ) {
            MemorySegment page = read(id);
            if (PageLayout.kind(page) != PageKind.FREE_LIST) {
                throw new CorruptionException(store.file(), id, PageLayout.KIND_OFFSET, "free list page kind",
                        PageKind.FREE_LIST.name(), String.valueOf(PageLayout.kind(page)));
            }
            chain = Arrays.copyOf(chain, chain.length + 1);
            chain[chain.length - 1] = id;
            int n = FreeListLayout.count(page);
            for (int k = 0; k < n; k++) {
                pushFree(FreeListLayout.id(page, k));
            }
            id = FreeListLayout.next(page);
        }
        listPages = chain;
        endOperation();
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

    /** Spill frames ever added because one operation held every frame. */
    public long spilledFrames() {
        return spilled;
    }

    /** Frees the frames' memory. Does not flush: {@link #flush()} first. */
    @Override
    public void close() {
        arena.close();
    }

    /** The row of the store's page dataset that holds page {@code id}. */
    private static long rowOf(long id) {
        return id;
    }

    private int touch(int f) {
        touchedIn[f] = operation;
        referenced[f] = true;
        return f;
    }

    private int frameFor(long id) {
        int f = frameOf.get(id);
        if (f >= 0) {
            hits++;
            return f;
        }
        checkId(id);
        misses++;
        f = takeFrame();
        try {
            store.readPage(rowOf(id), frames[f]);
        } catch (RuntimeException e) {
            emptyFrames[emptyCount++] = f;
            throw e;
        }
        occupy(f, id);
        return f;
    }

    /** Puts a fresh page (header written, body zeroed, dirty, touched) for {@code id} in a frame. */
    private int install(long id, PageKind kind) {
        int f = frameOf.get(id);
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
        frameOf.put(id, f);
    }

    private long newId() {
        long id = highWater++;
        store.ensureCapacity(highWater);
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

    private int takeFrame() {
        if (emptyCount > 0) {
            return emptyFrames[--emptyCount];
        }
        int victim = clock();
        if (victim < 0) {
            return spill();
        }
        evict(victim);
        return victim;
    }

    /** CLOCK: the first frame not touched in this operation whose second chance is used up; or -1. */
    private int clock() {
        for (int steps = 0; steps < 2 * frameCount; steps++) {
            int f = hand;
            hand = hand + 1 == frameCount ? 0 : hand + 1;
            if (touchedIn[f] == operation) {
                continue;
            }
            if (referenced[f]) {
                referenced[f] = false;
                continue;
            }
            return f;
        }
        return -1;
    }

    private void evict(int f) {
        if (dirty[f]) {
            writeBack(f);
        }
        frameOf.remove(pageIn[f]);
        pageIn[f] = 0;
    }

    private void drop(int f) {
        frameOf.remove(pageIn[f]);
        pageIn[f] = 0;
        dirty[f] = false;
        touchedIn[f] = 0;
        referenced[f] = false;
        emptyFrames[emptyCount++] = f;
    }

    private void writeBack(int f) {
        store.writePage(rowOf(pageIn[f]), frames[f]);
        dirty[f] = false;
        writes++;
    }

    /** Adds a frame beyond the bound for the rest of this operation. */
    private int spill() {
        if (frameCount == frames.length) {
            int n = frameCount * 2;
            frames = Arrays.copyOf(frames, n);
            pageIn = Arrays.copyOf(pageIn, n);
            touchedIn = Arrays.copyOf(touchedIn, n);
            dirty = Arrays.copyOf(dirty, n);
            referenced = Arrays.copyOf(referenced, n);
            emptyFrames = Arrays.copyOf(emptyFrames, n);
        }
        spilled++;
        int f = frameCount++;
        frames[f] = Arena.ofAuto().allocate(pageSize, 8);
        return f;
    }

    /** Evicts the spill frames (those past the bound) once nothing is pinned. */
    private void shrinkToBound() {
        while (frameCount > baseFrames) {
            int f = --frameCount;
            if (pageIn[f] != 0) {
                evict(f);
            }
            frames[f] = null;
            dirty[f] = false;
            referenced[f] = false;
        }
        int kept = 0;
        for (int i = 0; i < emptyCount; i++) {
            if (emptyFrames[i] < baseFrames) {
                emptyFrames[kept++] = emptyFrames[i];
            }
        }
        emptyCount = kept;
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
