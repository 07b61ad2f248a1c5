package dev.hashdir.engine.dir;

import dev.hashdir.engine.CorruptionException;
import dev.hashdir.engine.page.PageSpace;
import dev.hashdir.engine.store.PageKind;
import dev.hashdir.engine.store.PageLayout;
import dev.hashdir.engine.store.StoreFormat;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.function.LongSupplier;

import static dev.hashdir.engine.dir.DirectoryLayout.LONG;
import static dev.hashdir.engine.dir.DirectoryLayout.INT;

/**
 * Saves a {@link Directory} into a chain of DIRECTORY pages ({@link DirectoryLayout}) and loads it
 * back, with the index counters the root page carries. Each save writes new pages and then frees
 * the previous save's, so the image a meta slot points to is complete until the next save.
 *
 * <p>Threading: engine thread only.
 */
public final class DirectoryPages {

    /** The index counters saved in the root page. */
    public record Counters(long overflowPages, long valueLists, long usedSlots) {
    }

    private final PageSpace space;
    private long[] saved = new long[0];
    /**
     * The entries of {@link #beginSave}'s save, reused from save to save (a checkpoint at a time):
     * allocated at each checkpoint's begin before, MBs at 10M keys.
     */
    private long[] saveEntries = new long[0];

    public DirectoryPages(PageSpace space) {
        this.space = space;
    }

    /** Writes {@code dir} (its resize finished first) into new pages; returns the root page id. */
    public long save(Directory dir, Counters counters) {
        dir.finishResize();
        long[] entries = new long[(int) dir.buckets()];
        int[] n = {0};
        dir.forEachBucket(e -> entries[n[0]++] = e);
        int perPage = DirectoryLayout.entriesPerPage(space.pageSize());
        int pages = Math.max(1, (entries.length + perPage - 1) / perPage);
        long[] ids = new long[pages];
        for (int p = 0; p < pages; p++) {
            ids[p] = space.allocate(PageKind.DIRECTORY);
        }
        for (int p = 0; p < pages; p++) {
            MemorySegment page = space.modify(ids[p]);
            int from = p * perPage;
            int count = Math.min(perPage, entries.length - from);
            page.set(LONG, DirectoryLayout.NEXT_OFFSET, p + 1 < pages ? ids[p + 1] : StoreFormat.NULL_PAGE);
            page.set(INT, DirectoryLayout.COUNT_OFFSET, count);
            page.set(java.lang.foreign.ValueLayout.JAVA_BYTE, DirectoryLayout.DEPTH_OFFSET, (byte) dir.globalDepth());
            if (p == 0) {
                page.set(LONG, DirectoryLayout.OVERFLOW_PAGES_OFFSET, counters.overflowPages());
                page.set(LONG, DirectoryLayout.VALUE_LISTS_OFFSET, counters.valueLists());
                page.set(LONG, DirectoryLayout.USED_SLOTS_OFFSET, counters.usedSlots());
                page.set(LONG, DirectoryLayout.BUCKETS_OFFSET, entries.length);
            }
            MemorySegment.copy(entries, from, page, LONG, DirectoryLayout.ENTRIES_OFFSET, count);
            space.release(ids[p]);
        }
        for (long old : saved) {
            space.free(old);
        }
        saved = ids;
        return ids[0];
    }

    /**
     * Starts a save that the caller writes page by page later ({@link Save#fillNext}): takes a
     * copy of the entries, the depth and the counters now, takes the pages' ids from
     * {@code reserve} (ids no one else writes), and frees the previous save's pages. A checkpoint
     * uses this to write its directory in bounded steps instead of all at its begin. The copy's
     * array is reused by the next {@code beginSave}: one save at a time.
     */
    public Save beginSave(Directory dir, Counters counters, LongSupplier reserve) {
        dir.finishResize();
        long buckets = dir.buckets();
        if (saveEntries.length < buckets) {
            saveEntries = new long[(int) Math.min(Integer.MAX_VALUE - 8, buckets + buckets / 8)];
        }
        long[] entries = saveEntries;
        int n = dir.copyBuckets(entries);
        int perPage = DirectoryLayout.entriesPerPage(space.pageSize());
        long[] ids = new long[Math.max(1, (n + perPage - 1) / perPage)];
        for (int p = 0; p < ids.length; p++) {
            ids[p] = reserve.getAsLong();
        }
        for (long old : saved) {
            space.free(old);
        }
        saved = ids;
        return new Save(entries, n, ids, dir.globalDepth(), counters, perPage);
    }

    /** A directory save begun by {@link #beginSave}: the entries as of its start and the ids they go to. */
    public static final class Save {
        private final long[] entries;
        private final int count;
        private final long[] ids;
        private final int depth;
        private final Counters counters;
        private final int perPage;
        private int next;

        private Save(long[] entries, int count, long[] ids, int depth, Counters counters, int perPage) {
            this.entries = entries;
            this.count = count;
            this.ids = ids;
            this.depth = depth;
            this.counters = counters;
            this.perPage = perPage;
        }

        /** The id of the first page: the directory root the meta names. */
        public long root() {
            return ids[0];
        }

        /** Whether every page was filled. */
        public boolean done() {
            return next >= ids.length;
        }

        /**
         * Fills {@code page} with the image of the next page (header: DIRECTORY, its id, epoch 0
         * for the writer to stamp) and returns its id.
         */
        public long fillNext(MemorySegment page) {
            int p = next++;
            page.fill((byte) 0);
            PageLayout.writeHeader(page, PageKind.DIRECTORY, ids[p], 0);
            int from = p * perPage;
            int inPage = Math.min(perPage, count - from);
            page.set(LONG, DirectoryLayout.NEXT_OFFSET, p + 1 < ids.length ? ids[p + 1] : StoreFormat.NULL_PAGE);
            page.set(INT, DirectoryLayout.COUNT_OFFSET, inPage);
            page.set(java.lang.foreign.ValueLayout.JAVA_BYTE, DirectoryLayout.DEPTH_OFFSET, (byte) depth);
            if (p == 0) {
                page.set(LONG, DirectoryLayout.OVERFLOW_PAGES_OFFSET, counters.overflowPages());
                page.set(LONG, DirectoryLayout.VALUE_LISTS_OFFSET, counters.valueLists());
                page.set(LONG, DirectoryLayout.USED_SLOTS_OFFSET, counters.usedSlots());
                page.set(LONG, DirectoryLayout.BUCKETS_OFFSET, count);
            }
            MemorySegment.copy(entries, from, page, LONG, DirectoryLayout.ENTRIES_OFFSET, inPage);
            return ids[p];
        }
    }

    /** Loads the directory saved at {@code root} into {@code dir}; returns the root's counters. */
    public Counters load(long root, Directory dir) {
        MemorySegment first = checked(root);
        int depth = DirectoryLayout.depth(first);
        long buckets = first.get(LONG, DirectoryLayout.BUCKETS_OFFSET);
        Counters counters = new Counters(first.get(LONG, DirectoryLayout.OVERFLOW_PAGES_OFFSET),
                first.get(LONG, DirectoryLayout.VALUE_LISTS_OFFSET), first.get(LONG, DirectoryLayout.USED_SLOTS_OFFSET));
        if (depth > dir.maxDepth()) {
            throw new IllegalArgumentException("the store's directory has global depth " + depth
                    + ", deeper than the configured bound: maxGlobalDepth=" + dir.maxDepth());
        }
        if (depth < 0 || buckets < 1 || buckets > 1L << depth) {
            throw new CorruptionException(root, DirectoryLayout.BUCKETS_OFFSET, "directory bucket count",
                    "1.." + (1L << depth), Long.toString(buckets));
        }
        long[] entries = new long[(int) buckets];
        long[] chain = new long[0];
        int n = 0;
        for (long id = root; id != StoreFormat.NULL_PAGE; ) {
            MemorySegment page = checked(id);
            int count = DirectoryLayout.count(page);
            if (count < 0 || n + count > entries.length || DirectoryLayout.depth(page) != depth) {
                throw new CorruptionException(id, DirectoryLayout.COUNT_OFFSET, "directory page",
                        "at most " + (entries.length - n) + " entries at depth " + depth,
                        count + " entries at depth " + DirectoryLayout.depth(page));
            }
            MemorySegment.copy(page, LONG, DirectoryLayout.ENTRIES_OFFSET, entries, n, count);
            n += count;
            chain = Arrays.copyOf(chain, chain.length + 1);
            chain[chain.length - 1] = id;
            long next = DirectoryLayout.next(page);
            space.release(id);
            id = next;
        }
        try {
            dir.load(depth, entries, n);
        } catch (IllegalArgumentException e) {
            CorruptionException c = new CorruptionException(root, 0, "directory", "buckets tiling 2^" + depth
                    + " entries", e.getMessage());
            c.initCause(e);
            throw c;
        }
        saved = chain;
        if (saveEntries.length < n) { // sized at load, not in the first checkpoint's begin (2-7 ms at 10M keys, 0.7 later)
            saveEntries = new long[(int) Math.min(Integer.MAX_VALUE - 8, n + (long) n / 8)];
        }
        return counters;
    }

    /** Pages of the last save (or load). */
    public long[] pages() {
        return saved.clone();
    }

    private MemorySegment checked(long id) {
        MemorySegment page = space.read(id);
        if (PageLayout.kind(page) != PageKind.DIRECTORY) {
            throw new CorruptionException(id, PageLayout.KIND_OFFSET, "directory page kind", PageKind.DIRECTORY.name(),
                    String.valueOf(PageLayout.kind(page)));
        }
        return page;
    }
}
