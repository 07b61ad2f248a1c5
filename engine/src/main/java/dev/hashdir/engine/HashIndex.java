package dev.hashdir.engine;

import dev.hashdir.engine.bucket.BucketChain;
import dev.hashdir.engine.bucket.BucketLayout;
import dev.hashdir.engine.bucket.BucketMerger;
import dev.hashdir.engine.bucket.BucketPage;
import dev.hashdir.engine.bucket.BucketPages;
import dev.hashdir.engine.bucket.BucketSplitter;
import dev.hashdir.engine.bucket.Fingerprint;
import dev.hashdir.engine.dir.Directory;
import dev.hashdir.engine.dir.DirectoryPages;
import dev.hashdir.engine.page.PageSpace;
import dev.hashdir.engine.store.PageKind;
import dev.hashdir.engine.values.ValueList;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The operations behind {@link HashDir} on validated input: directory lookup, the bucket chain,
 * inline sets and value lists, splits, merges, promotion and demotion. Keeps the counters.
 *
 * <h2>Sets</h2>
 * A key's set is inline in its bucket page (the KEY slot's payload holds the smallest value, the
 * CONTINUATION slots after it the rest) while it has at most {@code inlineValues} values; one more
 * promotes it to a {@link ValueList} (the slot becomes KEY_EXTERNAL, payload = root id). A list
 * shrinking to {@code demoteValues} values goes back inline if its page has room (else it is tried
 * again on the next removal). Between the two bounds a set stays where it is: no flapping.
 *
 * <h2>Making room</h2>
 * A record that fits nowhere in its bucket's chain makes room: the bucket splits when its local
 * depth L is below the directory bound, its keys (with the new one) differ somewhere in their first
 * {@code maxGlobalDepth} bits, and the directory is deeper than L or may double now; otherwise the
 * chain grows an overflow page. A split that leaves everything on one side is repeated, each
 * repetition at most one directory doubling (a running resize defers the rest to an overflow page).
 *
 * <p>Threading: engine thread only. Not thread-safe.
 */
final class HashIndex {

    private static final ValueLayout.OfLong LONG_BE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private final PageSpace space;
    private final BucketLayout layout;
    private final int keyBytes;
    private final Directory dir;
    private final BucketPages pages;
    private final BucketChain chain;
    private final BucketSplitter splitter;
    private final BucketMerger merger;
    private final ValueList lists;
    private final int inlineValues;
    private final int demoteValues;
    private final BucketPage hit;
    private final BucketPage room;
    private final BucketPage scanPage;
    private final long[] inline;
    private final long[] one = new long[1];
    private long[] batch = new long[64];
    private long[] merged = new long[128];
    private byte[] scanKeys = new byte[0];
    private int[] scanOrder = new int[0];
    private final byte[] cursorKey;

    // the last locate(): its directory index, bucket primary page, fingerprint
    private long index;
    private long primary;
    private int fp;

    private long promotions;
    private long demotions;
    private long keys;
    private long values;
    private long valueLists;
    private long usedSlots;

    HashIndex(PageSpace space, BucketLayout layout, Directory dir, HashDirConfig config, Arena arena) {
        this.space = space;
        this.layout = layout;
        this.keyBytes = layout.keyBytes();
        this.dir = dir;
        this.pages = new BucketPages(space, layout);
        this.chain = new BucketChain(pages, arena);
        this.splitter = new BucketSplitter(dir, chain);
        this.merger = new BucketMerger(dir, chain, (int) Math.floor(config.mergeThreshold() * layout.slots()));
        this.lists = new ValueList(space);
        this.inlineValues = config.inlineValues();
        this.demoteValues = config.demoteValues();
        this.hit = new BucketPage(layout);
        this.room = new BucketPage(layout);
        this.scanPage = new BucketPage(layout);
        this.inline = new long[inlineValues + 1];
        this.cursorKey = new byte[keyBytes];
        if (layout.inlineSlots(inlineValues) > layout.slots() / 2) {
            throw new IllegalArgumentException("inline values do not fit a bucket page: inlineValues=" + inlineValues
                    + " needs " + layout.inlineSlots(inlineValues) + " slots of " + layout.slots());
        }
    }

    /** A new, empty index: one bucket at depth 0. */
    void init() {
        dir.init(pages.allocate(PageKind.BUCKET, 0, room).id());
    }

    /** Counters of a loaded index. */
    void restore(long keys, long values, DirectoryPages.Counters counters) {
        this.keys = keys;
        this.values = values;
        this.valueLists = counters.valueLists();
        this.usedSlots = counters.usedSlots();
        chain.overflowPages(counters.overflowPages());
    }

    DirectoryPages.Counters counters() {
        return new DirectoryPages.Counters(chain.overflowPages(), valueLists, usedSlots);
    }

    /** Before a mutating operation. */
    void beginMutation() {
        dir.resetCopied();
    }

    /** After a mutating operation: advance a directory resize; halve when no bucket needs depth G. */
    void endMutation() {
        dir.step();
        if (dir.canHalve()) {
            dir.halve();
        }
    }

    // ---- operations ------------------------------------------------------------------------

    int put(MemorySegment key, long off, long value) {
        int s = locate(key, off);
        if (s < 0) {
            inline[0] = value;
            place(key, off, inline, 1, 0);
            keys++;
            values++;
            return 1;
        }
        if (hit.isExternal(s)) {
            return addToList(hit.payload(s), value);
        }
        int n = hit.readInline(s, inline);
        int at = SortedValues.search(inline, n, value);
        if (at >= 0) {
            return 0;
        }
        storeInline(key, off, s, inline, SortedValues.insert(inline, n, -at - 1, value));
        values++;
        return 1;
    }

    int putAll(MemorySegment key, long off, long[] vs, int from, int to) {
        int u = sortedBatch(vs, from, to);
        if (u == 0) {
            return 0;
        }
        int s = locate(key, off);
        if (s < 0) {
            if (u > inlineValues) {
                place(key, off, null, 0, lists.create(batch, 0, u));
                valueLists++;
                promotions++;
            } else {
                place(key, off, batch, u, 0);
            }
            keys++;
            values += u;
            return u;
        }
        if (hit.isExternal(s)) {
            long root = hit.payload(s);
            int added = 0;
            for (int i = 0; i < u; i++) {
                added += addToList(root, batch[i]);
            }
            return added;
        }
        int n = hit.readInline(s, inline);
        if (merged.length < n + u) {
            merged = new long[Math.max(n + u, merged.length * 2)];
        }
        int m = SortedValues.union(inline, n, batch, u, merged);
        if (m > n) {
            storeInline(key, off, s, merged, m);
            values += m - n;
        }
        return m - n;
    }

    void get(MemorySegment key, long off, boolean hasAfter, long after, int limit, GetResult into) {
        int s = locate(key, off);
        if (s < 0) {
            into.fill(0, 0, false);
            return;
        }
        long[] out = into.buffer();
        if (hit.isExternal(s)) {
            long root = hit.payload(s);
            int n = lists.read(root, hasAfter, after, limit, out);
            boolean more = n == limit && lists.read(root, true, out[n - 1], 1, one) == 1;
            into.fill(n, lists.count(root), more);
            return;
        }
        int c = hit.readInline(s, inline);
        int start = hasAfter ? SortedValues.firstAbove(inline, c, after) : 0;
        int n = Math.min(limit, c - start);
        System.arraycopy(inline, start, out, 0, n);
        into.fill(n, c, start + n < c);
    }

    boolean contains(MemorySegment key, long off, long value) {
        int s = locate(key, off);
        if (s < 0) {
            return false;
        }
        if (hit.isExternal(s)) {
            return lists.contains(hit.payload(s), value);
        }
        return SortedValues.search(inline, hit.readInline(s, inline), value) >= 0;
    }

    long count(MemorySegment key, long off) {
        int s = locate(key, off);
        if (s < 0) {
            return 0;
        }
        return hit.isExternal(s) ? lists.count(hit.payload(s)) : hit.inlineCount(s);
    }

    boolean remove(MemorySegment key, long off, long value) {
        int s = locate(key, off);
        if (s < 0) {
            return false;
        }
        return hit.isExternal(s) ? removeFromList(key, off, s, value) : removeInline(s, value);
    }

    long delete(MemorySegment key, long off) {
        int s = locate(key, off);
        if (s < 0) {
            return 0;
        }
        long removed;
        if (hit.isExternal(s)) {
            long root = hit.payload(s);
            removed = lists.count(root);
            lists.destroy(root);
            valueLists--;
        } else {
            removed = hit.inlineCount(s);
        }
        dropRecord(hit.id(), s);
        values -= removed;
        return removed;
    }

    /**
     * Up to {@code limit} keys greater than the cursor (all keys when {@code !hasCursor}) in
     * unsigned lexicographic order. Directory order is key order, so it visits buckets from the
     * cursor's on and sorts each bucket's keys as it goes.
     */
    void scan(MemorySegment cursor, long off, boolean hasCursor, int limit, ScanResult into) {
        if (hasCursor) {
            MemorySegment.copy(cursor, ValueLayout.JAVA_BYTE, off, cursorKey, 0, keyBytes);
        }
        long i = hasCursor ? dir.indexOf(cursor.get(LONG_BE, off)) : 0;
        int n = 0;
        boolean cut = false;
        while (i < dir.size() && n < limit) {
            long e = dir.entry(i);
            int gathered = gather(Directory.page(e), hasCursor);
            int take = Math.min(gathered, limit - n);
            KeySorter.sort(scanKeys, keyBytes, scanOrder, gathered);
            for (int k = 0; k < take; k++) {
                System.arraycopy(scanKeys, scanOrder[k] * keyBytes, into.buffer(), (n + k) * keyBytes, keyBytes);
            }
            n += take;
            cut = take < gathered;
            int depth = Directory.depth(e);
            i = dir.firstIndex(i, depth) + dir.span(depth);
        }
        into.fill(n, cut || i < dir.size());
    }

    // ---- counters and parts, for HashDir and tests -----------------------------------------

    long keys() {
        return keys;
    }

    long values() {
        return values;
    }

    long valueLists() {
        return valueLists;
    }

    long usedSlots() {
        return usedSlots;
    }

    long overflowPages() {
        return chain.overflowPages();
    }

    /** Sets moved into a value list (including sets created that large) since this object was made. */
    long promotions() {
        return promotions;
    }

    /** Value lists moved back inline since this object was made. */
    long demotions() {
        return demotions;
    }

    long eccCorrected() {
        return pages.eccCorrected();
    }

    Directory directory() {
        return dir;
    }

    BucketLayout layout() {
        return layout;
    }

    BucketPages pages() {
        return pages;
    }

    ValueList lists() {
        return lists;
    }

    BucketSplitter splitter() {
        return splitter;
    }

    BucketMerger merger() {
        return merger;
    }

    /** The primary page of the bucket {@code key} belongs to. */
    long bucketOf(MemorySegment key, long off) {
        return Directory.page(dir.entryFor(key.get(LONG_BE, off)));
    }

    // ---- inside ----------------------------------------------------------------------------

    /** Finds the key's record: its slot with {@link #hit} on its page, or -1; sets index, primary, fp. */
    private int locate(MemorySegment key, long off) {
        index = dir.indexOf(key.get(LONG_BE, off));
        primary = Directory.page(dir.entry(index));
        fp = Fingerprint.of(key, off, keyBytes);
        return chain.find(primary, key, off, fp, hit);
    }

    /** Writes a new record (inline {@code vs[0, count)}, or external {@code root} when nonzero) where its bucket has room. */
    private void place(MemorySegment key, long off, long[] vs, int count, long root) {
        int length = root != 0 ? 1 : layout.inlineSlots(count);
        long prefix = key.get(LONG_BE, off);
        // locate() read (and checked) the bucket's primary page in this operation
        long checked = primary;
        while (true) {
            long i = dir.indexOf(prefix);
            long e = dir.entry(i);
            int at = chain.room(Directory.page(e), length, room, checked);
            if (at >= 0) {
                if (root != 0) {
                    room.putExternal(at, key, off, fp, root);
                } else {
                    room.putInline(at, key, off, fp, vs, count);
                }
                usedSlots += length;
                return;
            }
            makeRoom(e, prefix);
        }
    }

    private void makeRoom(long entry, long prefix) {
        int depth = Directory.depth(entry);
        long bucket = Directory.page(entry);
        boolean deepen = depth < dir.globalDepth() || dir.canDouble();
        if (depth >= dir.maxDepth() || !deepen || chain.sharedPrefixBits(bucket, prefix) >= dir.maxDepth()) {
            chain.addOverflow(bucket);
            return;
        }
        if (depth == dir.globalDepth()) {
            dir.doubleDepth();
        }
        splitter.split(dir.indexOf(prefix));
    }

    /** Stores a changed inline set of the record at {@code s} ({@link #hit}'s page): in place, moved, or promoted. */
    private void storeInline(MemorySegment key, long off, int s, long[] vs, int n) {
        long id = hit.id();
        if (n > inlineValues) {
            long root = lists.create(vs, 0, n);
            pages.upgrade(hit);
            int before = hit.used();
            hit.makeExternal(s, root);
            usedSlots += hit.used() - before;
            valueLists++;
            promotions++;
            return;
        }
        int oldLength = hit.recordSlots(s);
        int newLength = layout.inlineSlots(n);
        pages.upgrade(hit);
        if (newLength <= oldLength || hit.freeAt(s + oldLength, newLength - oldLength)) {
            hit.rewriteInline(s, vs, n);
            usedSlots += newLength - oldLength;
            return;
        }
        hit.removeRecord(s);
        usedSlots -= oldLength;
        place(key, off, vs, n, 0);
    }

    private int addToList(long root, long value) {
        if (lists.add(root, value)) {
            values++;
            return 1;
        }
        return 0;
    }

    private boolean removeInline(int s, long value) {
        int n = hit.readInline(s, inline);
        int at = SortedValues.search(inline, n, value);
        if (at < 0) {
            return false;
        }
        values--;
        if (n == 1) {
            dropRecord(hit.id(), s);
            return true;
        }
        n = SortedValues.removeAt(inline, n, at);
        pages.modify(hit.id(), hit);
        int before = hit.used();
        hit.rewriteInline(s, inline, n);
        usedSlots += hit.used() - before;
        afterShrink(hit.id());
        return true;
    }

    private boolean removeFromList(MemorySegment key, long off, int s, long value) {
        long id = hit.id();
        long root = hit.payload(s);
        if (!lists.remove(root, value)) {
            return false;
        }
        values--;
        long left = lists.count(root);
        if (left == 0) {
            lists.destroy(root);
            valueLists--;
            dropRecord(id, s);
        } else if (left <= demoteValues) {
            demote(key, off, id, s, root, (int) left);
        }
        return true;
    }

    /** Brings a small value list back inline when its page has room; else leaves it for a later removal. */
    private void demote(MemorySegment key, long off, long id, int s, long root, int count) {
        int n = lists.read(root, false, 0, count, inline);
        int length = layout.inlineSlots(n);
        pages.upgrade(hit);
        int before = hit.used();
        if (hit.freeAt(s + 1, length - 1)) {
            hit.makeInline(s, inline, n);
        } else if (hit.freeSlots() + 1 >= length) {
            hit.removeRecord(s);
            int at = hit.freeRun(length);
            if (at < 0) {
                chain.compact(hit);
                at = hit.freeRun(length);
            }
            hit.putInline(at, key, off, fp, inline, n);
        } else {
            return;
        }
        usedSlots += hit.used() - before;
        lists.destroy(root);
        valueLists--;
        demotions++;
    }

    /** Frees the record at {@code s} of page {@code id} (its value list already destroyed). */
    private void dropRecord(long id, int s) {
        pages.upgrade(hit);
        int before = hit.used();
        hit.removeRecord(s);
        usedSlots += hit.used() - before;
        keys--;
        afterShrink(id);
    }

    /**
     * After page {@code id} of the located bucket lost slots: free it if it is an empty overflow
     * page, pull the first overflow page back into the primary if it fits, then try merging.
     */
    private void afterShrink(long id) {
        if (id != primary) {
            chain.dropIfEmpty(primary, id);
        }
        chain.absorbFirstOverflow(primary);
        merger.mergeAround(index);
    }

    /** Copies vs[from, to) into {@link #batch}, sorted unsigned without duplicates; returns how many. */
    private int sortedBatch(long[] vs, int from, int to) {
        int n = to - from;
        if (batch.length < n) {
            batch = new long[Math.max(n, batch.length * 2)];
        }
        System.arraycopy(vs, from, batch, 0, n);
        return SortedValues.sortUnique(batch, n);
    }

    /** Copies the keys of the chain at {@code bucket} (above the cursor if any) into {@link #scanKeys}; returns how many. */
    private int gather(long bucket, boolean hasCursor) {
        int n = 0;
        MemorySegment keysOut = null;
        for (long id = bucket; id != 0; ) {
            pages.read(id, scanPage);
            int records = scanPage.records();
            if ((n + records) * keyBytes > scanKeys.length) {
                scanKeys = Arrays.copyOf(scanKeys, Math.max((n + records) * keyBytes, scanKeys.length * 2));
                scanOrder = Arrays.copyOf(scanOrder, scanKeys.length / keyBytes);
                keysOut = null;
            }
            if (keysOut == null) {
                keysOut = MemorySegment.ofArray(scanKeys);
            }
            for (int s = scanPage.nextRecord(0); s >= 0; s = scanPage.nextRecord(s + 1)) {
                scanPage.copyKey(s, keysOut, (long) n * keyBytes);
                if (!hasCursor || Arrays.compareUnsigned(scanKeys, n * keyBytes, (n + 1) * keyBytes, cursorKey, 0,
                        keyBytes) > 0) {
                    scanOrder[n] = n;
                    n++;
                }
            }
            long next = scanPage.next();
            if (id != bucket) {
                space.release(id);
            }
            id = next;
        }
        return n;
    }
}
