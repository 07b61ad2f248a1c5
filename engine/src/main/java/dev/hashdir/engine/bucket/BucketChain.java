package dev.hashdir.engine.bucket;

import dev.hashdir.engine.page.PageSpace;
import dev.hashdir.engine.store.PageKind;
import dev.hashdir.engine.store.StoreFormat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A bucket as a chain of pages: the primary (BUCKET) page the directory names, then OVERFLOW pages
 * linked through the header's next field. Chains grow only where splitting cannot help (the bucket
 * is at the directory's depth bound, or its keys share every bit up to it) or cannot happen now (a
 * directory resize is running); a new overflow page goes right after the primary, so inserts find
 * room near the front.
 *
 * <p>Walks release every overflow page they are done with ({@link PageSpace#release}), so a long
 * chain never needs more than a few frames.
 *
 * <p>Threading: engine thread only.
 */
public final class BucketChain {

    private final BucketPages pages;
    private final PageSpace space;
    private final BucketLayout layout;
    private final BucketPage walk;
    private final BucketPage other;
    private final BucketPage scratch;
    private long overflowPages;

    public BucketChain(BucketPages pages, Arena arena) {
        this.pages = pages;
        this.space = pages.space();
        this.layout = pages.layout();
        this.walk = new BucketPage(layout);
        this.other = new BucketPage(layout);
        this.scratch = new BucketPage(layout).wrap(arena.allocate(layout.pageSize(), 8), 0);
    }

    public BucketPages pages() {
        return pages;
    }

    /** Overflow pages in all chains. */
    public long overflowPages() {
        return overflowPages;
    }

    public void overflowPages(long n) {
        overflowPages = n;
    }

    /**
     * Finds the record of {@code key} (fingerprint {@code fp}) in the chain starting at
     * {@code primary}; returns its slot with {@code into} wrapped (for reading) on its page, or -1.
     */
    public int find(long primary, MemorySegment key, long offset, int fp, BucketPage into) {
        for (long id = primary; id != StoreFormat.NULL_PAGE; ) {
            pages.read(id, into);
            int slot = into.find(key, offset, fp);
            if (slot >= 0) {
                return slot;
            }
            long next = into.next();
            releaseOverflow(primary, id);
            id = next;
        }
        return -1;
    }

    /**
     * A run of {@code length} free slots in the chain (compacting a page whose free slots are not
     * contiguous); returns its first slot with {@code into} wrapped (for writing) on its page, or -1
     * when no page of the chain has room.
     */
    public int room(long primary, int length, BucketPage into) {
        return room(primary, length, into, StoreFormat.NULL_PAGE);
    }

    /**
     * {@link #room(long, int, BucketPage)} where page {@code checked} of the chain was already read
     * (and checked) in this operation, e.g. by the {@link #find} that missed just before.
     */
    public int room(long primary, int length, BucketPage into, long checked) {
        for (long id = primary; id != StoreFormat.NULL_PAGE; ) {
            int at = roomIn(id, length, into, id == checked);
            if (at >= 0) {
                return at;
            }
            long next = into.next();
            releaseOverflow(primary, id);
            id = next;
        }
        return -1;
    }

    /**
     * A run of {@code length} free slots in page {@code id}, with {@code into} wrapped for writing on
     * it; -1, with {@code into} wrapped for reading, when the page has too few free slots.
     */
    private int roomIn(long id, int length, BucketPage into, boolean checked) {
        if (checked) {
            pages.reread(id, into);
        } else {
            pages.read(id, into);
        }
        if (into.freeSlots() < length) {
            return -1;
        }
        pages.upgrade(into);
        int at = into.freeRun(length);
        if (at < 0) {
            compact(into);
            at = into.freeRun(length);
        }
        return at;
    }

    /** Compacts a page wrapped for writing: its free slots become one run at the end. */
    public void compact(BucketPage page) {
        page.compact(scratch);
    }

    /** Links a new, empty overflow page right after {@code primary}; returns its id. */
    public long addOverflow(long primary) {
        BucketPage head = pages.modify(primary, walk);
        BucketPage added = pages.allocate(PageKind.OVERFLOW, head.depth(), other);
        added.next(head.next());
        head.next(added.id());
        overflowPages++;
        return added.id();
    }

    /** Unlinks and frees overflow page {@code id} of the chain at {@code primary} if it holds nothing. */
    public void dropIfEmpty(long primary, long id) {
        if (id == primary || pages.read(id, other).records() != 0) {
            return;
        }
        long after = other.next();
        for (long p = primary; p != StoreFormat.NULL_PAGE; ) {
            long next = pages.read(p, walk).next();
            if (next == id) {
                pages.modify(p, walk).next(after);
                space.free(id);
                overflowPages--;
                return;
            }
            releaseOverflow(primary, p);
            p = next;
        }
        throw new IllegalStateException("overflow page " + id + " is not in the chain of bucket " + primary);
    }

    /**
     * Moves every record of the first overflow page into the primary when it has room for them all,
     * and frees that page: chains shrink back as keys leave (at most one page of moves per call).
     */
    public void absorbFirstOverflow(long primary) {
        long first = pages.read(primary, walk).next();
        if (first == StoreFormat.NULL_PAGE || pages.read(first, other).used() > walk.freeSlots()) {
            return;
        }
        pages.modify(primary, walk);
        pages.modify(first, other);
        if (walk.freeRun(other.used()) < 0) {
            compact(walk);
        }
        for (int s = other.nextRecord(0); s >= 0; s = other.nextRecord(s + 1)) {
            walk.copyRecord(other, s, walk.freeRun(other.recordSlots(s)));
            other.removeRecord(s);
        }
        walk.next(other.next());
        space.free(first);
        overflowPages--;
    }

    /**
     * How many leading bits of their 64-bit prefixes all keys of the chain and {@code prefix}
     * share (64 when all are equal): a split can only separate them at depth {@code result + 1}.
     */
    public int sharedPrefixBits(long primary, long prefix) {
        long diff = 0;
        for (long id = primary; id != StoreFormat.NULL_PAGE; ) {
            pages.read(id, walk);
            for (int s = walk.nextRecord(0); s >= 0; s = walk.nextRecord(s + 1)) {
                diff |= walk.prefix(s) ^ prefix;
            }
            long next = walk.next();
            releaseOverflow(primary, id);
            id = next;
        }
        return Long.numberOfLeadingZeros(diff);
    }

    /** Whether the chain at {@code primary} is just its primary page. */
    public boolean single(long primary) {
        return pages.read(primary, walk).next() == StoreFormat.NULL_PAGE;
    }

    /**
     * Moves records from the chain's overflow pages into room in earlier pages and frees overflow
     * pages left empty (after a split emptied much of the chain).
     */
    public void pack(long primary, BucketPage from, BucketPage to) {
        long prev = primary;
        long id = pages.read(primary, from).next();
        while (id != StoreFormat.NULL_PAGE) {
            pages.modify(id, from);
            for (int s = from.nextRecord(0); s >= 0; s = from.nextRecord(s + 1)) {
                int length = from.recordSlots(s);
                int at = roomBefore(primary, id, length, to);
                if (at >= 0) {
                    to.copyRecord(from, s, at);
                    from.removeRecord(s);
                }
            }
            long next = from.next();
            if (from.records() == 0) {
                pages.modify(prev, to).next(next);
                space.free(id);
                overflowPages--;
            } else {
                prev = id;
            }
            id = next;
        }
    }

    /** Room for a record in the pages of the chain before page {@code stop}; -1 if none. */
    private int roomBefore(long primary, long stop, int length, BucketPage into) {
        for (long id = primary; id != stop; id = into.next()) {
            int at = roomIn(id, length, into, false);
            if (at >= 0) {
                return at;
            }
        }
        return -1;
    }

    private void releaseOverflow(long primary, long id) {
        if (id != primary) {
            space.release(id);
        }
    }
}
