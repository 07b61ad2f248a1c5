package dev.hashdir.engine.dir;

import java.util.function.LongConsumer;

/**
 * The extendible hashing directory: 2^G entries, indexed by the top G bits of a key's first eight
 * bytes read big-endian, each naming the bucket (primary page id) and its local depth L &lt;= G. A
 * bucket at depth L owns the 2^(G-L) consecutive entries that share its top L bits, so directory
 * order is key order.
 *
 * <p>Entry encoding: {@code L << 56 | pageId} ({@link #entry}).
 *
 * <h2>Incremental resizing</h2>
 * The entries live in chunks of 2^{@value #DEFAULT_CHUNK_BITS} (by default). Doubling (or halving)
 * to more than one chunk does not copy: it installs an empty chunk array for the new depth and
 * keeps the old one; an entry of a chunk not yet built is derived from the old array (index/2 when
 * doubling, index*2 when halving). Each mutating operation builds a few chunks ({@link #step()})
 * and any write builds the chunk it touches first, so no operation copies more than
 * {@code chunksPerStep} chunks plus the range it writes. Only one resize runs at a time:
 * {@link #canDouble()} is false until it is done (a split that needs it overflows instead).
 *
 * <p>It also counts buckets per local depth, so halving is known possible ({@link #canHalve()}) when
 * no bucket has depth G.
 *
 * <p>Threading: engine thread only.
 */
public final class Directory {

    public static final int DEFAULT_CHUNK_BITS = 12;
    public static final int DEFAULT_CHUNKS_PER_STEP = 2;
    /** The deepest directory this class can hold. */
    public static final int MAX_DEPTH = 30;

    private static final long PAGE_MASK = (1L << 56) - 1;

    private final int maxDepth;
    private final int chunkBits;
    private final int chunksPerStep;
    private final long[] bucketsAtDepth = new long[64];

    private int depth;
    private long[][] chunks;
    private long[][] from;
    private int fromDepth;
    private int cursor;
    private int pending;
    private long copied;

    /** An empty directory (depth 0, no bucket yet: {@link #init}). */
    public Directory(int maxDepth, int chunkBits, int chunksPerStep) {
        if (maxDepth < 0 || maxDepth > MAX_DEPTH) {
            throw new IllegalArgumentException("directory depth bound must be 0.." + MAX_DEPTH + ": maxDepth=" + maxDepth);
        }
        if (chunkBits < 1 || chunkBits > 20 || chunksPerStep < 1) {
            throw new IllegalArgumentException("bad directory chunking: chunkBits=" + chunkBits
                    + ", chunksPerStep=" + chunksPerStep);
        }
        this.maxDepth = maxDepth;
        this.chunkBits = chunkBits;
        this.chunksPerStep = chunksPerStep;
        this.chunks = new long[1][1];
    }

    public Directory(int maxDepth) {
        this(maxDepth, DEFAULT_CHUNK_BITS, DEFAULT_CHUNKS_PER_STEP);
    }

    // ---- entries ---------------------------------------------------------------------------

    public static long entry(long pageId, int localDepth) {
        return (long) localDepth << 56 | pageId;
    }

    public static long page(long entry) {
        return entry & PAGE_MASK;
    }

    public static int depth(long entry) {
        return (int) (entry >>> 56);
    }

    /** One bucket (page {@code pageId}) at depth 0 owning the whole directory. */
    public void init(long pageId) {
        depth = 0;
        chunks = new long[][]{{entry(pageId, 0)}};
        from = null;
        pending = 0;
        java.util.Arrays.fill(bucketsAtDepth, 0);
        bucketsAtDepth[0] = 1;
    }

    /** G. While a resize runs, the new depth. */
    public int globalDepth() {
        return depth;
    }

    public int maxDepth() {
        return maxDepth;
    }

    /** 2^G. */
    public long size() {
        return 1L << depth;
    }

    /** The index of the entry for a key whose first eight bytes, big-endian, are {@code prefix}. */
    public long indexOf(long prefix) {
        return depth == 0 ? 0 : prefix >>> (64 - depth);
    }

    /** The entry for a key prefix. Allocation-free. */
    public long entryFor(long prefix) {
        return entry(indexOf(prefix));
    }

    public long entry(long index) {
        long[] chunk = chunks[(int) (index >>> chunkBits(depth))];
        return chunk != null ? chunk[(int) (index & chunkMask(depth))] : derived(index);
    }

    /** The first index of the bucket at depth {@code localDepth} that owns {@code index}. */
    public long firstIndex(long index, int localDepth) {
        int shift = depth - localDepth;
        return index >>> shift << shift;
    }

    /** Entries a bucket at depth {@code localDepth} owns. */
    public long span(int localDepth) {
        return 1L << (depth - localDepth);
    }

    /** The first index of the buddy of the bucket at depth {@code localDepth} owning {@code index}. */
    public long buddyIndex(long index, int localDepth) {
        return firstIndex(index, localDepth) ^ span(localDepth);
    }

    // ---- buckets ---------------------------------------------------------------------------

    /** Splits the bucket owning {@code index} (depth L &lt; G): its upper half goes to {@code newPage}; both get depth L+1. */
    public void split(long index, long newPage) {
        long e = entry(index);
        int local = depth(e);
        if (local >= depth) {
            throw new IllegalStateException("cannot split a bucket at the global depth: index=" + index
                    + ", localDepth=" + local + ", globalDepth=" + depth);
        }
        long first = firstIndex(index, local);
        long half = span(local + 1);
        assign(first, half, entry(page(e), local + 1));
        assign(first + half, half, entry(newPage, local + 1));
        bucketsAtDepth[local]--;
        bucketsAtDepth[local + 1] += 2;
    }

    /** Merges the bucket owning {@code index} (depth L &gt; 0) with its buddy into {@code keptPage} at depth L-1. */
    public void merge(long index, long keptPage) {
        int local = depth(entry(index));
        if (local == 0 || depth(entry(buddyIndex(index, local))) != local) {
            throw new IllegalStateException("no buddy at the same depth to merge with: index=" + index
                    + ", localDepth=" + local);
        }
        assign(firstIndex(index, local - 1), span(local - 1), entry(keptPage, local - 1));
        bucketsAtDepth[local] -= 2;
        bucketsAtDepth[local - 1]++;
    }

    public long buckets() {
        long n = 0;
        for (long b : bucketsAtDepth) {
            n += b;
        }
        return n;
    }

    public long bucketsAtDepth(int localDepth) {
        return bucketsAtDepth[localDepth];
    }

    /**
     * Copies each bucket's entry once, in index order, into {@code into} (room for at least
     * {@link #buckets()}); returns how many. No resize may be running ({@link #finishResize}).
     * Allocation-free.
     */
    public int copyBuckets(long[] into) {
        if (resizing()) {
            throw new IllegalStateException("a directory resize is running");
        }
        int n = 0;
        long size = size();
        for (long i = 0; i < size; ) {
            long e = entry(i);
            into[n++] = e;
            i += span(depth(e));
        }
        return n;
    }

    /** Calls {@code action} with each bucket's entry once, in directory (= key) order. */
    public void forEachBucket(LongConsumer action) {
        for (long i = 0; i < size(); ) {
            long e = entry(i);
            action.accept(e);
            i += span(depth(e));
        }
    }

    // ---- resizing --------------------------------------------------------------------------

    public boolean resizing() {
        return from != null;
    }

    /** Whether the directory may double now: below the bound and no resize running. */
    public boolean canDouble() {
        return !resizing() && depth < maxDepth;
    }

    /** Whether the directory may halve now: no bucket needs depth G and no resize running. */
    public boolean canHalve() {
        return !resizing() && depth > 0 && bucketsAtDepth[depth] == 0;
    }

    public void doubleDepth() {
        if (!canDouble()) {
            throw new IllegalStateException("cannot double now: depth=" + depth + ", maxDepth=" + maxDepth
                    + ", resizing=" + resizing());
        }
        resize(depth + 1);
    }

    public void halve() {
        if (!canHalve()) {
            throw new IllegalStateException("cannot halve now: depth=" + depth + ", bucketsAtDepth="
                    + bucketsAtDepth[Math.max(depth, 0)] + ", resizing=" + resizing());
        }
        resize(depth - 1);
    }

    /** Builds up to {@code chunksPerStep} chunks of a running resize; call once per mutating operation. */
    public void step() {
        for (int built = 0; built < chunksPerStep && resizing(); ) {
            if (chunks[cursor] == null) {
                build(cursor);
                built++;
            }
            cursor++;
        }
    }

    /** Completes a running resize (at close, or to save the directory). */
    public void finishResize() {
        while (resizing()) {
            step();
        }
    }

    /** Entries copied since {@link #resetCopied()}: what resizing cost an operation. */
    public long copied() {
        return copied;
    }

    public void resetCopied() {
        copied = 0;
    }

    /** Entries held in memory now, across the current and (while resizing) the old chunk arrays. */
    public long entriesInMemory() {
        return materialized(chunks) + (from == null ? 0 : materialized(from));
    }

    /** Rebuilds a directory of depth {@code globalDepth} from its buckets' entries in directory order. */
    public void load(int globalDepth, long[] bucketEntries, int count) {
        if (globalDepth > maxDepth) {
            throw new IllegalArgumentException("stored directory is deeper than the configured bound: depth="
                    + globalDepth + ", maxGlobalDepth=" + maxDepth);
        }
        depth = globalDepth;
        from = null;
        pending = 0;
        java.util.Arrays.fill(bucketsAtDepth, 0);
        chunks = new long[chunkCount(depth)][];
        for (int c = 0; c < chunks.length; c++) {
            chunks[c] = new long[chunkSize(depth)];
        }
        // one iteration per bucket, and no call for a bucket of one entry (the commonest): at a
        // fresh start this loop runs interpreted for a good part of its hundreds of thousands of buckets
        int bits = chunkBits(depth);
        long mask = chunkMask(depth);
        long size = size();
        long i = 0;
        for (int b = 0; b < count; b++) {
            long e = bucketEntries[b];
            int local = (int) (e >>> 56);
            long span = local > depth ? 0 : 1L << (depth - local);
            if (span == 0 || i + span > size || (i & (span - 1)) != 0) {
                throw new IllegalArgumentException("bucket entries do not tile the directory: bucket=" + b
                        + ", localDepth=" + local + ", index=" + i + ", globalDepth=" + depth);
            }
            if (span == 1) {
                chunks[(int) (i >>> bits)][(int) (i & mask)] = e;
            } else {
                assign(i, span, e);
            }
            bucketsAtDepth[local]++;
            i += span;
        }
        if (i != size()) {
            throw new IllegalArgumentException("bucket entries cover " + i + " of " + size() + " directory entries");
        }
    }

    private void resize(int newDepth) {
        long[][] old = chunks;
        int oldDepth = depth;
        chunks = new long[chunkCount(newDepth)][];
        from = old;
        fromDepth = oldDepth;
        depth = newDepth;
        cursor = 0;
        pending = chunks.length;
        if (chunks.length == 1) {
            build(0);
        }
    }

    private void build(int c) {
        int size = chunkSize(depth);
        long[] chunk = new long[size];
        long base = (long) c << chunkBits(depth);
        for (int j = 0; j < size; j++) {
            chunk[j] = derived(base + j);
        }
        chunks[c] = chunk;
        copied += size;
        if (--pending == 0) {
            from = null;
        }
    }

    private long derived(long index) {
        long old = depth > fromDepth ? index >>> 1 : index << 1;
        return from[(int) (old >>> chunkBits(fromDepth))][(int) (old & chunkMask(fromDepth))];
    }

    private void assign(long first, long count, long e) {
        int bits = chunkBits(depth);
        long mask = chunkMask(depth);
        for (long i = first; i < first + count; ) {
            int c = (int) (i >>> bits);
            if (chunks[c] == null) {
                build(c);
            }
            long[] chunk = chunks[c];
            int end = (int) Math.min(chunk.length, (i & mask) + (first + count - i));
            java.util.Arrays.fill(chunk, (int) (i & mask), end, e);
            i += end - (i & mask);
        }
    }

    private int chunkBits(int d) {
        return Math.min(d, chunkBits);
    }

    private long chunkMask(int d) {
        return (1L << chunkBits(d)) - 1;
    }

    private int chunkSize(int d) {
        return 1 << chunkBits(d);
    }

    private int chunkCount(int d) {
        return 1 << (d - chunkBits(d));
    }

    private static long materialized(long[][] array) {
        long n = 0;
        for (long[] c : array) {
            n += c == null ? 0 : c.length;
        }
        return n;
    }

    @Override
    public String toString() {
        return "Directory[globalDepth=" + depth + ", buckets=" + buckets() + ", resizing=" + resizing() + "]";
    }
}
