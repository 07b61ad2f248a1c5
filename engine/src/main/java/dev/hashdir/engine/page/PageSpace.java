package dev.hashdir.engine.page;

import dev.hashdir.engine.store.PageKind;

import java.lang.foreign.MemorySegment;

/**
 * Pages by id, as the engine's structures (directory, buckets, value lists) see them: a flat space
 * of fixed-size pages that can be read, modified, allocated and freed. Implementations cache pages
 * off-heap and decide where and when they reach the file; structures never touch the file.
 *
 * <h2>Residency contract</h2>
 * A segment returned by {@link #read}, {@link #modify} or {@link #allocate} stays valid (resident,
 * same address) until {@link #endOperation()} is called: a structure may hold several pages at once
 * within one top-level operation (a split holds the old bucket, the new one and the directory
 * page). After {@code endOperation()} any of them may be evicted; look them up again.
 *
 * <h2>Page images</h2>
 * Every page starts with the common header of {@link dev.hashdir.engine.store.PageLayout}; the
 * space writes kind, id and epoch on {@link #allocate} and seals the checksum when it writes the
 * page out. Structures own the body (from {@code PageLayout.HEADER_BYTES}).
 *
 * <p>Threading: engine thread only. Not thread-safe.
 */
public interface PageSpace {

    /** Page size in bytes. */
    int pageSize();

    /** A page for reading. Do not write to it: use {@link #modify}. */
    MemorySegment read(long id);

    /** A page for writing; it is marked dirty. */
    MemorySegment modify(long id);

    /**
     * The memory that {@link #readAt} and {@link #modifyAt} positions refer to, or null when this
     * space has no such fast path. Structures read on every operation (bucket pages) address pages
     * as (this segment, position) rather than through a segment per page, one load fewer.
     */
    default MemorySegment memory() {
        return null;
    }

    /**
     * {@link #read} as the page's byte position in {@link #memory()}, or -1 when it is not there
     * (then use {@link #read}). Same residency contract; page bounds are the caller's to keep.
     */
    default long readAt(long id) {
        return -1;
    }

    /** {@link #modify} as the page's byte position in {@link #memory()}, or -1 (then use {@link #modify}). */
    default long modifyAt(long id) {
        return -1;
    }

    /** A new page: header written (kind, id, current epoch), body zeroed, marked dirty. */
    long allocate(PageKind kind);

    /** The segment of a page allocated or returned earlier in this operation (convenience for {@code modify}). */
    default MemorySegment allocateAndGet(PageKind kind) {
        return modify(allocate(kind));
    }

    /** Gives a page back; its id may be handed out again by a later {@link #allocate}. */
    void free(long id);

    /**
     * Hint that the caller holds no segment of page {@code id} any more in this operation, so it may
     * be evicted before {@link #endOperation()}. Lets a walk over a long chain of pages keep only the
     * page it is on resident. Calling it for a page still in use is a bug; the default does nothing.
     */
    default void release(long id) {
    }

    /** Ends a top-level operation: pages returned since the last call may be evicted from now on. */
    void endOperation();
}
