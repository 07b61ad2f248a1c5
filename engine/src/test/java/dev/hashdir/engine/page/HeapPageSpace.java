package dev.hashdir.engine.page;

import dev.hashdir.engine.store.PageKind;
import dev.hashdir.engine.store.PageLayout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;

/**
 * A {@link PageSpace} for tests: every page lives in off-heap memory of one confined arena, nothing
 * is evicted or written anywhere. Strict where a real space would corrupt silently:
 * <ul>
 *   <li>{@link #read}, {@link #modify} and {@link #free} of an id that is not allocated (never, or
 *       freed) throw {@link IllegalStateException} naming the id; a double free is caught.</li>
 *   <li>{@link #read} returns a read-only view: a write through it throws.</li>
 *   <li>Freed pages are poisoned ({@value #FREED_BYTE}); their ids are reused by {@link #allocate},
 *       last freed first.</li>
 *   <li>With {@code relocateOnEndOperation}, {@link #endOperation()} moves every page touched in the
 *       operation to other memory and poisons the old ({@value #STALE_BYTE}): a structure that keeps
 *       a segment past {@code endOperation()} reads garbage, as it would after an eviction.</li>
 * </ul>
 * {@code read} and {@code modify} allocate nothing, so tests can measure what a structure allocates.
 * It counts live pages (so a test can assert everything was freed) and page accesses
 * ({@code read}, {@code modify}, {@code allocate}) since the last {@code endOperation()} (so a test
 * can assert an operation touches O(log n) pages).
 *
 * <p>Threading: the thread that created it only (confined arena). Not thread-safe.
 */
public final class HeapPageSpace implements PageSpace, AutoCloseable {

    /** Byte written over a freed page. */
    public static final byte FREED_BYTE = (byte) 0xDB;
    /** Byte written over the old memory of a relocated page. */
    public static final byte STALE_BYTE = (byte) 0xA5;

    private static final int PAGES_PER_CHUNK = 64;

    private final Arena arena = Arena.ofConfined();
    private final int pageSize;
    private final boolean relocateOnEndOperation;
    private final List<MemorySegment> pagesById = new ArrayList<>();
    /** A read-only view of each page, made once: read allocates nothing. */
    private final List<MemorySegment> readViews = new ArrayList<>();
    private final BitSet live = new BitSet();
    private final BitSet touched = new BitSet();
    /** Memory for pages: FIFO, so the memory of a page relocated last is reused last. */
    private final ArrayDeque<MemorySegment> spare = new ArrayDeque<>();
    private long[] freeIds = new long[16];
    private int freeCount;
    private long livePages;
    private long accesses;
    private long maxAccesses;
    private long epoch = 1;

    /** A space of {@code pageSize}-byte pages that never relocates pages. */
    public HeapPageSpace(int pageSize) {
        this(pageSize, false);
    }

    public HeapPageSpace(int pageSize, boolean relocateOnEndOperation) {
        if (pageSize < PageLayout.HEADER_BYTES + 8 || pageSize % 8 != 0) {
            throw new IllegalArgumentException("bad page size: pageSize=" + pageSize
                    + ", min=" + (PageLayout.HEADER_BYTES + 8) + ", multiple of 8");
        }
        this.pageSize = pageSize;
        this.relocateOnEndOperation = relocateOnEndOperation;
        pagesById.add(null); // id 0 is NULL_PAGE, never allocated
        readViews.add(null);
    }

    @Override
    public int pageSize() {
        return pageSize;
    }

    @Override
    public MemorySegment read(long id) {
        touch(id, "read");
        return readViews.get((int) id);
    }

    @Override
    public MemorySegment modify(long id) {
        return touch(id, "modify");
    }

    @Override
    public long allocate(PageKind kind) {
        long id = freeCount > 0 ? freeIds[--freeCount] : newId();
        MemorySegment page = pagesById.get((int) id);
        page.fill((byte) 0);
        PageLayout.writeHeader(page, kind, id, epoch);
        live.set((int) id);
        livePages++;
        touch(id, "allocate");
        return id;
    }

    @Override
    public void free(long id) {
        requireLive(id, "free");
        live.clear((int) id);
        livePages--;
        pagesById.get((int) id).fill(FREED_BYTE);
        if (freeCount == freeIds.length) {
            freeIds = Arrays.copyOf(freeIds, freeCount * 2);
        }
        freeIds[freeCount++] = id;
    }

    @Override
    public void endOperation() {
        if (relocateOnEndOperation) {
            for (int id = touched.nextSetBit(0); id >= 0; id = touched.nextSetBit(id + 1)) {
                relocate(id);
            }
        }
        touched.clear();
        accesses = 0;
    }

    /** Pages allocated and not freed. */
    public long livePages() {
        return livePages;
    }

    /** Calls of read, modify and allocate since the last {@link #endOperation()}. */
    public long accessesThisOperation() {
        return accesses;
    }

    /** The most accesses any operation has made so far (including the current one). */
    public long maxAccessesPerOperation() {
        return maxAccesses;
    }

    /** The epoch written into the header of pages allocated from now on. */
    public void epoch(long epoch) {
        this.epoch = epoch;
    }

    /** Frees all memory; every segment handed out becomes inaccessible. */
    @Override
    public void close() {
        arena.close();
    }

    private MemorySegment touch(long id, String what) {
        requireLive(id, what);
        accesses++;
        maxAccesses = Math.max(maxAccesses, accesses);
        if (relocateOnEndOperation) {
            touched.set((int) id);
        }
        return pagesById.get((int) id);
    }

    private void requireLive(long id, String what) {
        if (id <= 0 || id >= pagesById.size() || !live.get((int) id)) {
            String state = id > 0 && id < pagesById.size() ? "freed" : "never allocated";
            throw new IllegalStateException(what + " of a page that is not allocated: id=" + id + ", state=" + state);
        }
    }

    private long newId() {
        long id = pagesById.size();
        if (id > Integer.MAX_VALUE - 1) {
            throw new IllegalStateException("too many pages for a test space: id=" + id);
        }
        MemorySegment page = freshMemory();
        pagesById.add(page);
        readViews.add(page.asReadOnly());
        return id;
    }

    private void relocate(int id) {
        MemorySegment old = pagesById.get(id);
        MemorySegment moved = freshMemory();
        moved.copyFrom(old);
        old.fill(STALE_BYTE);
        spare.addLast(old);
        pagesById.set(id, moved);
        readViews.set(id, moved.asReadOnly());
    }

    private MemorySegment freshMemory() {
        if (spare.isEmpty()) {
            MemorySegment chunk = arena.allocate((long) pageSize * PAGES_PER_CHUNK, 8);
            for (int i = 0; i < PAGES_PER_CHUNK; i++) {
                spare.addLast(chunk.asSlice((long) i * pageSize, pageSize));
            }
        }
        return spare.pollFirst();
    }
}
