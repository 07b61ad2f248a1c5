package dev.hashdir.engine.bucket;

import dev.hashdir.engine.CorruptionException;
import dev.hashdir.engine.page.PageSpace;
import dev.hashdir.engine.store.PageKind;
import dev.hashdir.engine.store.PageLayout;

import java.lang.foreign.MemorySegment;

/**
 * Bucket and overflow pages out of a {@link PageSpace}, checked on every access: the page kind, and
 * the state mask against its SECDED code. A mask word with one flipped bit is corrected in place
 * (the page becomes dirty) and counted in {@link #eccCorrected()}; two flipped bits in a word are a
 * {@link CorruptionException} before anything is read from the page, never a wrong answer.
 *
 * <p>Threading: engine thread only.
 */
public final class BucketPages {

    private final PageSpace space;
    private final BucketLayout layout;
    /** The space's {@link PageSpace#memory()}: pages there are viewed in place, without a segment per page. */
    private final MemorySegment memory;
    private long eccCorrected;

    public BucketPages(PageSpace space, BucketLayout layout) {
        this.space = space;
        this.layout = layout;
        this.memory = space.memory();
    }

    public PageSpace space() {
        return space;
    }

    public BucketLayout layout() {
        return layout;
    }

    /** A view for reading page {@code id} (repaired first if a mask word had one flipped bit). */
    public BucketPage read(long id, BucketPage into) {
        wrapForReading(id, into);
        check(into);
        return into;
    }

    /** A view for changing page {@code id}. */
    public BucketPage modify(long id, BucketPage into) {
        wrapForWriting(id, into);
        check(into);
        return into;
    }

    /**
     * A view for reading page {@code id}, which was read (and so checked) earlier in this operation:
     * not checked again (nothing but this thread's own writes, which keep the code, ran since).
     */
    public BucketPage reread(long id, BucketPage into) {
        wrapForReading(id, into);
        return into;
    }

    /**
     * Makes a view returned by {@link #read} in this operation writable, without checking the page
     * again (it was checked when read, and nothing else runs in between).
     */
    public BucketPage upgrade(BucketPage page) {
        wrapForWriting(page.id(), page);
        return page;
    }

    /** A new, empty page of {@code kind} (BUCKET or OVERFLOW) at local depth {@code depth}. */
    public BucketPage allocate(PageKind kind, int depth, BucketPage into) {
        long id = space.allocate(kind);
        wrapForWriting(id, into);
        into.initHeader(depth);
        return into;
    }

    /** Single-bit errors in state masks corrected since this object was made. */
    public long eccCorrected() {
        return eccCorrected;
    }

    /** Views page {@code id} in place in the cache's memory when it can, else through a slice. */
    private void wrapForReading(long id, BucketPage into) {
        long at = memory != null ? space.readAt(id) : -1;
        if (at >= 0) {
            into.wrap(memory, at, id);
        } else {
            into.wrap(space.read(id), id);
        }
    }

    private void wrapForWriting(long id, BucketPage into) {
        long at = memory != null ? space.modifyAt(id) : -1;
        if (at >= 0) {
            into.wrap(memory, at, id);
        } else {
            into.wrap(space.modify(id), id);
        }
    }

    private void check(BucketPage page) {
        int kind = page.kindCode();
        if (kind != PageKind.BUCKET.code() && kind != PageKind.OVERFLOW.code()) {
            throw new CorruptionException(page.id(), PageLayout.KIND_OFFSET, "bucket page kind", "BUCKET or OVERFLOW",
                    String.valueOf(PageKind.of(kind)));
        }
        if (page.firstDamagedWord() >= 0) {
            wrapForWriting(page.id(), page);
            eccCorrected += page.repairMask();
        }
    }
}
