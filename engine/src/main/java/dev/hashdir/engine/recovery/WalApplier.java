package dev.hashdir.engine.recovery;

import dev.hashdir.bindings.libc.LibC;
import dev.hashdir.engine.DurableHashDir;
import dev.hashdir.engine.HashDir;
import dev.hashdir.engine.wal.WalConsumer;
import dev.hashdir.engine.wal.WalRecord;
import dev.hashdir.engine.wal.WalRecordLayout;
import dev.hashdir.engine.wal.WalRecordType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Replays logical WAL records into a {@link HashDir}: PUT, PUT_MANY, REMOVE, REMOVE_MANY and
 * DELETE become the same calls; CHECKPOINT_MARK changes nothing. Applying a record twice gives the
 * same state (set semantics), so replaying records a checkpoint already holds is harmless.
 *
 * <h2>In bulk, in key order</h2>
 * Records are not applied one by one as they are read: {@link #accept} copies each into a window
 * (up to {@code windowBytes} and {@value #MAX_WINDOW_RECORDS} records), and a full window (or
 * {@link #finish()}) is applied sorted by where each record's bucket lives
 * ({@link HashDir#bucketPlace}: the file row of its primary page, taken as the record is added, so
 * in file order). Records of one key keep their LSN order (one key, one place; the sort is stable),
 * and records of different keys commute (each key's set depends only on its own records), so the
 * state is the same as applying in LSN order, whatever the order of the places; but each bucket
 * page is now read and written back once per window instead of once per record when the store is
 * larger than the cache, and read in file order (HDF5's chunk index read once, not a block per
 * page: sorted by key prefix, a fresh server's replay spent a tenth of its time decoding index
 * blocks again). Before they are applied, the window's entries are copied in that order, a batch
 * at a time, into a buffer of {@value #GATHER_BYTES} bytes ({@link #gather}), so the apply reads
 * them in sequence: replay holds {@code windowBytes} and that buffer off-heap. A record larger
 * than the window is applied directly, after the window before it.
 *
 * <p>Progress ({@link #records()}, {@link #bytes()}) counts applied records and is readable from
 * any thread while recovery runs; the {@link RecoveryListener} hears it every
 * {@value #PROGRESS_RECORDS} records.
 *
 * <p>Threading: {@link #accept} and {@link #finish} on the engine thread only.
 */
public final class WalApplier implements WalConsumer, AutoCloseable {

    /** Records between two progress reports. */
    public static final int PROGRESS_RECORDS = 1 << 16;
    private static final int PUBLISH_RECORDS = 1 << 12;
    /** Default window: 256 MiB of records (about 5 million PUTs of 32-byte keys), off-heap. */
    public static final long DEFAULT_WINDOW_BYTES = 256L << 20;
    /** Records in one window at most (bounds the heap the sort takes: 16 bytes a record, 64 MiB). */
    public static final int MAX_WINDOW_RECORDS = 1 << 22;

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    /** Window entry: type (int), value count (int), record bytes (long), key, values. */
    private static final int ENTRY_HEADER = 16;
    private static final WalRecordType[] TYPES = WalRecordType.values();
    /** The window starts this small and doubles as records come, up to {@code windowBytes}. */
    private static final long FIRST_WINDOW_BYTES = 1 << 20;
    /** Windows from this size on are mapped rather than allocated ({@link #windowMemory}). */
    private static final long MAPPED_WINDOW_BYTES = 2L << 20;
    /** The buffer the sorted entries are copied to a batch at a time ({@link #gather}): one huge page. */
    private static final long GATHER_BYTES = 2L << 20;

    private final HashDir target;
    private final RecoveryListener listener;
    private final long walBytes;
    private final int keyBytes;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment key;
    private final long windowBytes;
    /** An entry of one value, the size of a slot of {@link #sorted}. */
    private final int slotBytes;
    private MemorySegment window;
    private long windowUsed;
    /** Window offsets of the entries, in units of 8 bytes (entries are 8-aligned; a window is below 16 GiB). */
    private int[] entries;
    private int[] places = new int[0];
    private int entryCount;
    private final PlaceSort sort = new PlaceSort();
    private Arena windowArena;
    /** A batch of the window's entries in sorted order ({@link #gather}). */
    private MemorySegment sorted;
    private Arena sortedArena;
    private long[] values = new long[64];
    private long appliedRecords;
    private long appliedBytes;
    private volatile long records;
    private volatile long bytes;

    public WalApplier(HashDir target) {
        this(target, RecoveryListener.NONE, 0, DEFAULT_WINDOW_BYTES);
    }

    /**
     * @param listener    hears progress every {@value #PROGRESS_RECORDS} records
     * @param walBytes    the WAL's bytes at open (passed on to the listener)
     * @param windowBytes records held and sorted before they are applied (at least 4 KiB)
     */
    public WalApplier(HashDir target, RecoveryListener listener, long walBytes, long windowBytes) {
        if (windowBytes < 4096 || windowBytes > (1L << 34)) {
            throw new IllegalArgumentException("replay window must be 4096 bytes..16 GiB: windowBytes=" + windowBytes);
        }
        this.target = target;
        this.listener = listener;
        this.walBytes = walBytes;
        this.keyBytes = target.keyBytes();
        this.windowBytes = windowBytes;
        this.slotBytes = (int) align8(ENTRY_HEADER + keyBytes + 8L);
        this.key = arena.allocate(keyBytes, 8);
        // as many entries as the WAL found at open holds PUTs (the commonest record; others are
        // larger but DELETEs), or a window does: the arrays rarely grow, and are made once instead
        // of doubling from small (in a fresh JVM each copy is fresh memory the kernel zeroes first)
        long puts = walBytes / (WalRecordLayout.HEADER_BYTES + keyBytes + 8L);
        long fit = windowBytes / align8(ENTRY_HEADER + keyBytes);
        this.entries = new int[Math.clamp(Math.min(puts, fit) + 1, 1024, MAX_WINDOW_RECORDS)];
    }

    @Override
    public void accept(WalRecord r) {
        WalRecordType type = r.type();
        int count = type == WalRecordType.PUT || type == WalRecordType.REMOVE ? 1
                : type == WalRecordType.PUT_MANY || type == WalRecordType.REMOVE_MANY ? r.valueCount() : 0;
        long recordBytes = WalRecordLayout.HEADER_BYTES + r.payloadLength();
        if (type == WalRecordType.CHECKPOINT_MARK) {
            counted(recordBytes); // informational; nothing to apply or order
            return;
        }
        long size = entryBytes(count);
        if (windowUsed + size > windowBytes || entryCount == MAX_WINDOW_RECORDS) {
            applyWindow();
        }
        if (size > windowBytes) {
            applyDirectly(r, type, count, recordBytes);
            return;
        }
        if (window == null || windowUsed + size > window.byteSize()) {
            growWindow(windowUsed + size);
        }
        long at = windowUsed;
        window.set(INT, at, type.ordinal());
        window.set(INT, at + 4, count);
        window.set(LONG, at + 8, recordBytes);
        MemorySegment.copy(r.segment(), r.keyOffset(), window, at + ENTRY_HEADER, keyBytes);
        for (int i = 0; i < count; i++) {
            window.set(LONG, at + ENTRY_HEADER + keyBytes + 8L * i, r.value(i));
        }
        if (entryCount == entries.length) {
            entries = Arrays.copyOf(entries, Math.min(entryCount * 2, MAX_WINDOW_RECORDS));
        }
        entries[entryCount] = (int) (at >>> 3);
        entryCount++;
        windowUsed += size;
    }

    /** Applies the records still in the window; call once the WAL is read. */
    public void finish() {
        applyWindow();
        publish();
    }

    /** Records applied so far (from another thread: as of the last few thousand). */
    public long records() {
        return records;
    }

    /** Record bytes (headers included) applied so far. */
    public long bytes() {
        return bytes;
    }

    /** Releases the key buffer (idempotent); {@link #records()} and {@link #bytes()} stay readable. */
    @Override
    public void close() {
        window = null;
        if (windowArena != null) {
            windowArena.close();
            windowArena = null;
        }
        sorted = null;
        if (sortedArena != null) {
            sortedArena.close();
            sortedArena = null;
        }
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }

    /** True once {@link #close} ran. */
    public boolean closed() {
        return !arena.scope().isAlive();
    }

    // ---- inside ----------------------------------------------------------------------------

    private void applyWindow() {
        int n = entryCount;
        if (n == 0) {
            return;
        }
        int placeBits = placeEntries(n); // first: it may replace the places array
        sort.sort(entries, places, n, placeBits);
        for (int i = 0; i < n; ) {
            int end = gather(i, n);
            for (long slot = 0; i < end; i++, slot += slotBytes) {
                int count = sorted.get(INT, slot + 4);
                // an entry of more than one value is read where it is (its slot holds only its start)
                MemorySegment in = count > 1 ? window : sorted;
                long at = count > 1 ? (long) entries[i] << 3 : slot;
                WalRecordType type = TYPES[in.get(INT, at)];
                MemorySegment.copy(in, at + ENTRY_HEADER, key, 0, keyBytes);
                long valuesAt = at + ENTRY_HEADER + keyBytes;
                long single = type == WalRecordType.PUT || type == WalRecordType.REMOVE ? in.get(LONG, valuesAt) : 0;
                apply(type, single, type.hasValueList() ? windowValues(in, valuesAt, count) : null, count);
                counted(in.get(LONG, at + 8));
            }
        }
        entryCount = 0;
        windowUsed = 0;
    }

    /**
     * Copies the window's entries from the {@code from}th on, in the sorted order of
     * {@link #entries}, into {@link #sorted}: up to {@value #GATHER_BYTES} bytes of them, each in
     * a slot of {@link #slotBytes} (an entry of at most one value: PUT, REMOVE, DELETE; a larger
     * entry's slot gets only its first bytes, and the apply reads it in the window); returns the
     * index after the last one copied. The apply loop then reads its entries in sequence (reading
     * them in place instead, each entry's first touch missed the caches between two bucket
     * operations: about a sixth of the replay's CPU at 10M keys). The copies' reads miss the caches
     * instead (2M entries: 260-350 ms); with fixed-size slots no copy's place waits for the size of
     * the one before, and the one reused buffer replaces a sorted copy of the whole window, which
     * faulted in and zeroed that much fresh memory (275-390 ms then; docs/benchmarks.md,
     * "Session 15").
     */
    private int gather(int from, int n) {
        if (sorted == null) {
            sortedArena = Arena.ofShared();
            sorted = windowMemory(GATHER_BYTES, sortedArena);
        }
        int end = (int) Math.min(n, from + GATHER_BYTES / slotBytes);
        long windowEnd = window.byteSize();
        long to = 0;
        for (int i = from; i < end; i++, to += slotBytes) {
            long at = (long) entries[i] << 3;
            // an entry shorter than a slot may end the window's memory
            MemorySegment.copy(window, at, sorted, to, Math.min(slotBytes, windowEnd - at));
        }
        return end;
    }

    /** The window bytes of an entry of {@code count} values. */
    private long entryBytes(int count) {
        return align8(ENTRY_HEADER + keyBytes + 8L * count);
    }

    private void applyDirectly(WalRecord r, WalRecordType type, int count, long recordBytes) {
        MemorySegment.copy(r.segment(), r.keyOffset(), key, 0, keyBytes);
        long single = type == WalRecordType.PUT || type == WalRecordType.REMOVE ? r.value(0) : 0;
        apply(type, single, type.hasValueList() ? recordValues(r, count) : null, count);
        counted(recordBytes);
    }

    /**
     * Applies one record to {@link #key}: {@code single} is the value of PUT / REMOVE,
     * {@code values[0, count)} those of PUT_MANY / REMOVE_MANY.
     */
    private void apply(WalRecordType type, long single, long[] values, int count) {
        switch (type) {
            case PUT -> target.put(key, single);
            case REMOVE -> target.remove(key, single);
            case PUT_MANY -> target.putAll(key, values, 0, count);
            case REMOVE_MANY -> {
                for (int i = 0; i < count; i++) {
                    target.remove(key, values[i]);
                }
            }
            case DELETE -> target.delete(key);
            case CHECKPOINT_MARK -> {
                // informational (never in a window)
            }
        }
    }

    private void counted(long recordBytes) {
        long n = ++appliedRecords;
        appliedBytes += recordBytes;
        if ((n & (PUBLISH_RECORDS - 1)) == 0) {
            publish();
            if (n % PROGRESS_RECORDS == 0) {
                listener.onProgress(DurableHashDir.Phase.REPLAYING, n, appliedBytes, walBytes);
            }
        }
    }

    /** Makes the counters visible to other threads (every {@value #PUBLISH_RECORDS} records: a volatile store per record costs). */
    private void publish() {
        bytes = appliedBytes;
        records = appliedRecords;
    }

    /**
     * The place of each entry's bucket ({@link HashDir#bucketPlace}), before any of them is
     * applied; returns the bitwise or of them all (its highest bit is the largest's). A loop of its
     * own: its reads of the directory and the page map miss the CPU caches, and here they overlap.
     * Sorted as unsigned ints: a place past 2^32 (a row of a 16 TiB store) shares the last one.
     */
    private int placeEntries(int n) {
        if (places.length < n) {
            places = new int[entries.length];
        }
        int all = 0;
        for (int i = 0; i < n; i++) {
            long keyAt = ((long) entries[i] << 3) + ENTRY_HEADER;
            int place = (int) Math.min(target.bucketPlace(window, keyAt), 0xFFFF_FFFFL);
            places[i] = place;
            all |= place;
        }
        return all;
    }

    /** A window of at least {@code needed} bytes (doubling, at most windowBytes) holding what the old one held. */
    private void growWindow(long needed) {
        // first: about what the WAL found at open needs (entries are at most a record plus 16 bytes), so
        // a window is rarely copied to grow
        long size = window == null ? Math.min(windowBytes, Math.max(FIRST_WINDOW_BYTES, walBytes + walBytes / 2))
                : window.byteSize();
        while (size < needed) {
            size = Math.min(windowBytes, size * 2);
        }
        Arena next = Arena.ofShared();
        MemorySegment grown = windowMemory(size, next);
        if (window != null) {
            MemorySegment.copy(window, 0, grown, 0, windowUsed);
            windowArena.close();
        }
        windowArena = next;
        window = grown;
    }

    /**
     * {@code bytes} of window memory freed with {@code arena}: on Linux, when large, an anonymous
     * mapping with transparent huge pages (the kernel hands out zeroed pages as they are first
     * written), else memory from the arena. Not {@link Arena#allocate} for a large window: JDK 25
     * zeroes that memory with a Java loop, which in a freshly started JVM runs interpreted for
     * hundreds of milliseconds at the start of recovery (a profile of a fresh {@code hashdir serve}
     * had a quarter of the replay thread's samples there).
     */
    private static MemorySegment windowMemory(long bytes, Arena arena) {
        if (bytes >= MAPPED_WINDOW_BYTES && System.getProperty("os.name", "").startsWith("Linux")) {
            try {
                return LibC.mapAnonymous(bytes, true, arena);
            } catch (IOException e) {
                // fall back to the arena
            }
        }
        return arena.allocate(bytes, 8);
    }

    private long[] windowValues(MemorySegment from, long at, int n) {
        if (values.length < n) {
            values = new long[Math.max(n, values.length * 2)];
        }
        MemorySegment.copy(from, LONG, at, values, 0, n);
        return values;
    }

    private long[] recordValues(WalRecord r, int n) {
        if (values.length < n) {
            values = new long[Math.max(n, values.length * 2)];
        }
        for (int i = 0; i < n; i++) {
            values[i] = r.value(i);
        }
        return values;
    }

    private static long align8(long n) {
        return (n + 7) & ~7L;
    }
}
