package dev.hashdir.engine;

import dev.hashdir.engine.bucket.BucketPage;
import dev.hashdir.engine.bucket.BucketPages;
import dev.hashdir.engine.bucket.SlotState;
import dev.hashdir.engine.dir.Directory;
import dev.hashdir.engine.store.PageKind;
import dev.hashdir.engine.store.PageLayout;

import java.lang.foreign.MemorySegment;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;

/**
 * Walks every bucket of a {@link HashIndex} and checks what the operations promise: each chain's
 * pages are of the right kind and depth, each key lies in its bucket's prefix range and appears
 * once, page headers agree with the masks, inline sets are ascending and within budget, value
 * lists are sound, and the index's counters equal what is there. For tests and offline checks:
 * reads every page and allocates.
 *
 * <p>Threading: engine thread only.
 */
final class IndexChecker {

    /** What a check found. */
    record Summary(long buckets, long overflowPages, long keys, long values, long usedSlots, long valueLists) {
    }

    private final HashIndex index;
    private final BucketPages pages;
    private final BucketPage page;
    private final int inlineValues;

    IndexChecker(HashIndex index, int inlineValues) {
        this.index = index;
        this.pages = index.pages();
        this.page = new BucketPage(index.layout());
        this.inlineValues = inlineValues;
    }

    /** Checks everything; throws IllegalStateException saying what is wrong and where. */
    Summary check() {
        Directory dir = index.directory();
        long buckets = 0;
        long overflow = 0;
        long[] totals = new long[4]; // keys, values, used slots, value lists
        Set<String> seen = new HashSet<>();
        for (long i = 0; i < dir.size(); ) {
            long e = dir.entry(i);
            int depth = Directory.depth(e);
            if (dir.firstIndex(i, depth) != i) {
                throw new IllegalStateException("bucket does not start at its aligned index: index=" + i + ", depth=" + depth);
            }
            overflow += checkChain(Directory.page(e), depth, i >>> (dir.globalDepth() - depth), totals, seen);
            buckets++;
            i += dir.span(depth);
        }
        Summary s = new Summary(buckets, overflow, totals[0], totals[1], totals[2], totals[3]);
        Summary counted = new Summary(dir.buckets(), index.overflowPages(), index.keys(), index.values(),
                index.usedSlots(), index.valueLists());
        if (!s.equals(counted)) {
            throw new IllegalStateException("counters disagree with the pages: counted=" + counted + ", found=" + s);
        }
        return s;
    }

    private long checkChain(long primary, int depth, long prefixBits, long[] totals, Set<String> seen) {
        long pagesInChain = 0;
        for (long id = primary; id != 0; ) {
            pages.read(id, page);
            PageKind kind = PageLayout.kind(page.segment());
            PageKind expected = id == primary ? PageKind.BUCKET : PageKind.OVERFLOW;
            if (kind != expected || page.depth() != depth) {
                throw new IllegalStateException("page " + id + " of bucket " + primary + ": kind=" + kind + ", depth="
                        + page.depth() + ", expected " + expected + " at depth " + depth);
            }
            checkPage(primary, depth, prefixBits, totals, seen);
            pagesInChain++;
            id = page.next();
        }
        return pagesInChain - 1;
    }

    private void checkPage(long primary, int depth, long prefixBits, long[] totals, Set<String> seen) {
        int used = 0;
        int records = 0;
        long[] values = new long[HashDirConfig.MAX_INLINE_VALUES + 1];
        MemorySegment key = MemorySegment.ofArray(new byte[index.layout().keyBytes()]);
        for (int s = 0; s < page.slots(); s++) {
            int state = page.state(s);
            used += state == SlotState.FREE ? 0 : 1;
            if (!SlotState.holdsKey(state)) {
                if (state == SlotState.CONTINUATION && (s == 0 || page.state(s - 1) == SlotState.FREE
                        || page.state(s - 1) == SlotState.KEY_EXTERNAL)) {
                    throw new IllegalStateException("page " + page.id() + " slot " + s + ": continuation without a key");
                }
                continue;
            }
            records++;
            page.copyKey(s, key, 0);
            String hex = HexFormat.of().formatHex(key.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
            if (!seen.add(hex)) {
                throw new IllegalStateException("key " + hex + " appears twice (page " + page.id() + " slot " + s + ")");
            }
            if (depth > 0 && page.prefix(s) >>> (64 - depth) != prefixBits) {
                throw new IllegalStateException("key " + hex + " in bucket " + primary + " outside its prefix: depth="
                        + depth + ", prefix bits=" + Long.toBinaryString(prefixBits));
            }
            totals[0]++;
            totals[1] += countValues(s, values, hex);
            totals[3] += state == SlotState.KEY_EXTERNAL ? 1 : 0;
        }
        if (used != page.used() || records != page.records()) {
            throw new IllegalStateException("page " + page.id() + " header says used=" + page.used() + ", records="
                    + page.records() + "; mask says used=" + used + ", records=" + records);
        }
        totals[2] += used;
    }

    private long countValues(int s, long[] values, String hex) {
        if (page.isExternal(s)) {
            long root = page.payload(s);
            long pageId = page.id();
            index.lists().check(root);
            long n = index.lists().count(root);
            pages.read(pageId, page);
            if (n == 0) {
                throw new IllegalStateException("key " + hex + " has an empty value list " + root);
            }
            return n;
        }
        int n = page.readInline(s, values);
        if (n > inlineValues) {
            throw new IllegalStateException("key " + hex + " has " + n + " inline values, budget " + inlineValues);
        }
        for (int k = 1; k < n; k++) {
            if (Long.compareUnsigned(values[k - 1], values[k]) >= 0) {
                throw new IllegalStateException("key " + hex + " inline values not ascending at " + k);
            }
        }
        return n;
    }
}
