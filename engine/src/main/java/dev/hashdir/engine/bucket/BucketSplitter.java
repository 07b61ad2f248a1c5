package dev.hashdir.engine.bucket;

import dev.hashdir.engine.dir.Directory;
import dev.hashdir.engine.store.PageKind;
import dev.hashdir.engine.store.StoreFormat;

/**
 * Splits a bucket in two: the records whose prefix has bit L set (L = local depth, counting from
 * the top) move to a new bucket, both get depth L+1, the directory's entries follow. The old
 * bucket keeps its page id. A bucket with an overflow chain splits the whole chain; what stays is
 * packed back into as few pages as possible.
 *
 * <p>The caller decides whether to split (the directory must be deeper than L, so it doubles
 * first when L = G) and whether it can help ({@link BucketChain#sharedPrefixBits}).
 *
 * <p>Threading: engine thread only.
 */
public final class BucketSplitter {

    private final Directory dir;
    private final BucketChain chain;
    private final BucketPages pages;
    private final BucketPage src;
    private final BucketPage dst;
    private final BucketPage head;
    private long splits;

    public BucketSplitter(Directory dir, BucketChain chain) {
        this.dir = dir;
        this.chain = chain;
        this.pages = chain.pages();
        this.src = new BucketPage(pages.layout());
        this.dst = new BucketPage(pages.layout());
        this.head = new BucketPage(pages.layout());
    }

    /** Splits the bucket owning directory entry {@code index}; returns the new bucket's page id. */
    public long split(long index) {
        long entry = dir.entry(index);
        int depth = Directory.depth(entry);
        long primary = Directory.page(entry);
        long upper = pages.allocate(PageKind.BUCKET, depth + 1, dst).id();
        for (long id = primary; id != StoreFormat.NULL_PAGE; ) {
            pages.modify(id, src).depth(depth + 1);
            if (id == primary && src.next() == StoreFormat.NULL_PAGE) {
                // a bucket of one page (the common case): half of it fits the new page, in one pass
                src.moveRecordsWithBit(63 - depth, dst);
                break;
            }
            for (int s = src.nextRecord(0); s >= 0; s = src.nextRecord(s + 1)) {
                if ((src.prefix(s) >>> (63 - depth) & 1) != 0) {
                    moveToUpper(upper, s);
                }
            }
            id = src.next();
        }
        dir.split(index, upper);
        chain.pack(primary, src, dst);
        splits++;
        return upper;
    }

    /** Splits done since this object was made. */
    public long splits() {
        return splits;
    }

    private void moveToUpper(long upper, int slot) {
        int length = src.recordSlots(slot);
        int at = dst.freeRun(length);
        if (at < 0) {
            at = chain.room(upper, length, dst);
        }
        if (at < 0) {
            chain.addOverflow(upper);
            pages.modify(pages.read(upper, head).next(), dst);
            at = dst.freeRun(length);
        }
        dst.copyRecord(src, slot, at);
        src.removeRecord(slot);
    }
}
