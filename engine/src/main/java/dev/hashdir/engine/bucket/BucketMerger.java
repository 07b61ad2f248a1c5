package dev.hashdir.engine.bucket;

import dev.hashdir.engine.dir.Directory;
import dev.hashdir.engine.page.PageSpace;

/**
 * Merges a bucket with its buddy (the bucket at the same depth L whose prefix differs only in bit
 * L-1) when both are single pages and together use at most {@code maxUsedSlots} slots: the records
 * of the emptier one move into the other, which takes depth L-1; repeated upwards while it keeps
 * being possible. Buckets with overflow chains never merge (their keys crowd one prefix).
 *
 * <p>Threading: engine thread only.
 */
public final class BucketMerger {

    private final Directory dir;
    private final BucketChain chain;
    private final BucketPages pages;
    private final PageSpace space;
    private final int maxUsedSlots;
    private final BucketPage keep;
    private final BucketPage gone;
    private long merges;

    public BucketMerger(Directory dir, BucketChain chain, int maxUsedSlots) {
        this.dir = dir;
        this.chain = chain;
        this.pages = chain.pages();
        this.space = pages.space();
        this.maxUsedSlots = maxUsedSlots;
        this.keep = new BucketPage(pages.layout());
        this.gone = new BucketPage(pages.layout());
    }

    /** Merges the bucket owning {@code index} upwards as far as the fill threshold allows; returns merges done. */
    public int mergeAround(long index) {
        int done = 0;
        while (mergeOnce(index)) {
            done++;
            index = dir.firstIndex(index, Directory.depth(dir.entry(index)));
        }
        return done;
    }

    /** Merges done since this object was made. */
    public long merges() {
        return merges;
    }

    private boolean mergeOnce(long index) {
        long entry = dir.entry(index);
        int depth = Directory.depth(entry);
        if (depth == 0) {
            return false;
        }
        long buddy = dir.entry(dir.buddyIndex(index, depth));
        if (Directory.depth(buddy) != depth) {
            return false;
        }
        long a = Directory.page(entry);
        long b = Directory.page(buddy);
        if (!chain.single(a) || !chain.single(b)) {
            return false;
        }
        int usedA = pages.read(a, keep).used();
        int usedB = pages.read(b, gone).used();
        if (usedA + usedB > maxUsedSlots) {
            return false;
        }
        long kept = usedA >= usedB ? a : b;
        move(usedA >= usedB ? b : a, kept, depth - 1);
        dir.merge(index, kept);
        merges++;
        return true;
    }

    private void move(long from, long to, int newDepth) {
        pages.modify(to, keep).depth(newDepth);
        pages.modify(from, gone);
        for (int s = gone.nextRecord(0); s >= 0; s = gone.nextRecord(s + 1)) {
            int length = gone.recordSlots(s);
            int at = keep.freeRun(length);
            if (at < 0) {
                chain.compact(keep);
                at = keep.freeRun(length);
            }
            keep.copyRecord(gone, s, at);
        }
        space.free(from);
    }
}
