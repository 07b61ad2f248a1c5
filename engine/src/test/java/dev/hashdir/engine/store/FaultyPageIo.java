package dev.hashdir.engine.store;

import dev.hashdir.bindings.hdf5.Hdf5Exception;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A fault-injecting {@link PageIo} under a {@link PageStore}: a model of the kernel's page cache
 * over the real HDF5 file. Page and meta writes are held back as <em>unsynced</em> (reads see
 * them, as they would see the page cache); {@link #fdatasync()} hands them to the real file in order
 * (without its fdatasync: durability is what this layer decides). {@link #crash} turns the
 * unsynced writes into what a power failure could leave ({@link Fault}) and writes that to the
 * real file, which then is the "disk" the next open recovers from.
 *
 * <p>Failures: {@link #failWritesAfter} makes every write from the n-th on fail as a full disk
 * would (a failed write may still have landed torn, as a short write does); {@link #failNextSyncs}
 * makes syncs fail with EIO, and a failed sync drops a random part of the unsynced writes (the
 * kernel marks pages clean after a writeback error: "fsyncgate"), so a store that retried the sync
 * and believed it would lose data. {@link #clearFailures} is space coming back.
 *
 * <p>The layer survives the store's internal reopen: {@link #wrapper()} attaches each new HDF5
 * layer; closing it hands the unsynced writes to the real file first (a process that closes a
 * file leaves its writes in the page cache; only {@link #crash} models losing them).
 */
public final class FaultyPageIo implements PageIo {

    /** What a crash leaves of the unsynced writes. */
    public enum Fault {
        /** A process crash: the page cache survives, everything written lands. */
        KEEP_ALL,
        /** Power failure before any writeback: all unsynced writes are lost. */
        DROP_UNSYNCED,
        /** All but the last land; the last is torn at a random byte (new prefix, old rest). */
        TEAR_LAST,
        /** A random subset lands, in a random order (an older image of a page may win over a newer). */
        REORDER,
        /** All land, one of them with a bit flipped. */
        FLIP_BIT,
        /** Each write independently lands, is lost, torn or bit-flipped, in a random order. */
        MIXED
    }

    /** Thrown by an I/O call armed to crash; an Error, so that no {@code catch (RuntimeException)} stops it. */
    public static final class SimulatedCrash extends Error {
        private static final long serialVersionUID = 1L;

        SimulatedCrash(String where) {
            super("simulated crash in " + where);
        }
    }

    private record Write(long target, byte[] image) {
        boolean meta() {
            return target < 0;
        }
    }

    private final Random rnd;
    private final int pageSize;
    private final Arena arena = Arena.ofAuto();
    private final MemorySegment scratchPage;
    private final MemorySegment scratchMeta = arena.allocate(MetaLayout.SLOT_BYTES, 8);
    private final List<Write> unsynced = new ArrayList<>();
    private final Map<Long, byte[]> latest = new HashMap<>();
    private PageIo real;
    private long writesUntilFull = -1;
    private int failingSyncs;
    private int failingAttaches;
    private long crashCountdown;
    private long syncCrashCountdown;

    public int writes;
    public int syncs;
    public int failedWrites;
    public int failedSyncs;
    public int droppedBySyncFailure;

    public FaultyPageIo(long seed, int pageSize) {
        this.rnd = new Random(seed);
        this.pageSize = pageSize;
        this.scratchPage = arena.allocate(pageSize, 4096);
    }

    /** The wrapper to open the store with: attaches this layer over each HDF5 layer the store opens. */
    public PageIo.Wrapper wrapper() {
        return hdf5 -> {
            if (failingAttaches > 0) {
                failingAttaches--;
                throw new Hdf5Exception("H5Fopen(simulated)", "simulated: unable to open file: Input/output error");
            }
            real = hdf5;
            return this;
        };
    }

    /** The next {@code n} opens of the file (the store's internal reopens) fail. */
    public void failNextOpens(int n) {
        failingAttaches = n;
    }

    /** Writes (pages and meta) succeed {@code n} more times, then fail as on a full disk until cleared. */
    public void failWritesAfter(long n) {
        writesUntilFull = n;
    }

    /** The next {@code n} syncs fail with EIO (each dropping part of the unsynced writes). */
    public void failNextSyncs(int n) {
        failingSyncs = n;
    }

    /**
     * The {@code n}-th page write, meta write or sync from now (1: the next) throws
     * {@link SimulatedCrash} before it has any effect: a crash in the middle of a checkpoint, e.g.
     * between the meta write and the sync after it. 0 disarms.
     */
    public void armCrash(long n) {
        crashCountdown = n;
    }

    /**
     * The {@code n}-th sync from now throws {@link SimulatedCrash} before it has any effect: a
     * checkpoint syncs twice, so 2 (with no checkpoint half done) crashes between its meta write and
     * the sync that would make the meta durable. 0 disarms.
     */
    public void armSyncCrash(long n) {
        syncCrashCountdown = n;
    }

    private void crashPoint(String where) {
        if (crashCountdown > 0 && --crashCountdown == 0) {
            throw new SimulatedCrash(where);
        }
    }

    /** Space is back: writes and syncs succeed again. */
    public void clearFailures() {
        writesUntilFull = -1;
        failingSyncs = 0;
    }

    /** Whether writes fail now. */
    public boolean full() {
        return writesUntilFull == 0;
    }

    /** Unsynced writes held now. */
    public int unsyncedWrites() {
        return unsynced.size();
    }

    @Override
    public void writePage(long row, MemorySegment page) {
        write(row, page);
    }

    @Override
    public void writeMeta(int slot, MemorySegment slotImage) {
        write(-1 - slot, slotImage);
    }

    @Override
    public void readPage(long row, MemorySegment dst) {
        byte[] image = latest.get(row);
        if (image == null) {
            real.readPage(row, dst);
        } else {
            MemorySegment.copy(image, 0, dst, ValueLayout.JAVA_BYTE, 0, image.length);
        }
    }

    @Override
    public void readMeta(int slot, MemorySegment dst) {
        byte[] image = latest.get(-1L - slot);
        if (image == null) {
            real.readMeta(slot, dst);
        } else {
            MemorySegment.copy(image, 0, dst, ValueLayout.JAVA_BYTE, 0, image.length);
        }
    }

    @Override
    public long rows() {
        return real.rows();
    }

    @Override
    public void extend(long rows) {
        real.extend(rows);
    }

    @Override
    public void flush() {
        // reads already see the unsynced writes; nothing reaches the "disk" before a sync
    }

    /** This layer's sync writes held pages into the file through HDF5: engine thread only. */
    @Override
    public boolean syncsOnAnyThread() {
        return false;
    }

    @Override
    public void fdatasync() throws IOException {
        crashPoint("sync");
        if (syncCrashCountdown > 0 && --syncCrashCountdown == 0) {
            throw new SimulatedCrash("sync (armed)");
        }
        syncs++;
        if (failingSyncs > 0) {
            failingSyncs--;
            failedSyncs++;
            // writeback failed: some pages are dropped from the page cache (marked clean, never written)
            List<Write> kept = new ArrayList<>();
            for (Write w : unsynced) {
                if (rnd.nextBoolean()) {
                    kept.add(w);
                } else {
                    droppedBySyncFailure++;
                }
            }
            unsynced.clear();
            unsynced.addAll(kept);
            rebuildLatest();
            throw new IOException("fdatasync(simulated): Input/output error (EIO)");
        }
        for (Write w : unsynced) {
            land(w.target(), w.image());
        }
        unsynced.clear();
        latest.clear();
        real.flush();
    }

    /**
     * Power failure: decides by {@code fault} what of the unsynced writes reaches the real file,
     * writes that, and forgets the rest. Returns a description for the failure log.
     */
    public String crash(Random r, Fault fault) {
        crashCountdown = 0;
        syncCrashCountdown = 0;
        List<Write> ws = new ArrayList<>(unsynced);
        unsynced.clear();
        latest.clear();
        int landed = 0;
        switch (fault) {
            case KEEP_ALL -> {
                for (Write w : ws) {
                    land(w.target(), w.image());
                }
                landed = ws.size();
            }
            case DROP_UNSYNCED -> {
                // nothing lands
            }
            case TEAR_LAST -> {
                for (int i = 0; i + 1 < ws.size(); i++) {
                    land(ws.get(i).target(), ws.get(i).image());
                }
                if (!ws.isEmpty()) {
                    Write last = ws.getLast();
                    land(last.target(), torn(last, r));
                }
                landed = ws.size();
            }
            case REORDER -> {
                Collections.shuffle(ws, r);
                for (Write w : ws) {
                    if (r.nextBoolean()) {
                        land(w.target(), w.image());
                        landed++;
                    }
                }
            }
            case FLIP_BIT -> {
                int flip = ws.isEmpty() ? -1 : r.nextInt(ws.size());
                for (int i = 0; i < ws.size(); i++) {
                    land(ws.get(i).target(), i == flip ? flipped(ws.get(i), r) : ws.get(i).image());
                }
                landed = ws.size();
            }
            case MIXED -> {
                Collections.shuffle(ws, r);
                for (Write w : ws) {
                    switch (r.nextInt(4)) {
                        case 0 -> {
                            // lost
                        }
                        case 1 -> land(w.target(), torn(w, r));
                        case 2 -> land(w.target(), flipped(w, r));
                        default -> land(w.target(), w.image());
                    }
                    landed++;
                }
            }
        }
        real.flush();
        return fault + ": " + landed + " of " + ws.size() + " unsynced writes landed";
    }

    /** Media damage: flips one bit of {@code row} in the real file (a synced page going bad). */
    public void flipDurableBit(long row, int byteOffset, int bit) {
        real.readPage(row, scratchPage);
        scratchPage.set(ValueLayout.JAVA_BYTE, byteOffset, (byte) (scratchPage.get(ValueLayout.JAVA_BYTE, byteOffset)
                ^ (1 << bit)));
        real.writePage(row, scratchPage);
        real.flush();
    }

    /** Hands the unsynced writes to the real file (they stay in the page cache), then closes it. */
    @Override
    public void close() {
        try {
            for (Write w : unsynced) {
                land(w.target(), w.image());
            }
            unsynced.clear();
            latest.clear();
        } finally {
            real.close();
        }
    }

    // ---- inside ----------------------------------------------------------------------------

    private void write(long target, MemorySegment image) {
        crashPoint(target < 0 ? "meta write" : "page write");
        writes++;
        if (writesUntilFull == 0) {
            failedWrites++;
            if (rnd.nextBoolean()) {
                // a short write: part of the image reached the page cache before ENOSPC
                Write w = new Write(target, image.toArray(ValueLayout.JAVA_BYTE));
                hold(new Write(target, torn(w, rnd)));
            }
            throw new Hdf5Exception((target < 0 ? "H5Dwrite_chunk(/meta, offset=" + (-1 - target)
                    : "H5Dwrite_chunk(/pages, offset=" + target) + ", size=" + image.byteSize() + ")",
                    "simulated H5FD__sec2_write(): file write failed: errno = 28, error message = 'No space left on device'");
        }
        if (writesUntilFull > 0) {
            writesUntilFull--;
        }
        hold(new Write(target, image.toArray(ValueLayout.JAVA_BYTE)));
    }

    private void hold(Write w) {
        unsynced.add(w);
        latest.put(w.target(), w.image());
    }

    private void rebuildLatest() {
        latest.clear();
        for (Write w : unsynced) {
            latest.put(w.target(), w.image());
        }
    }

    /** The image of {@code w} torn at a random byte: its prefix, then what the real file holds there. */
    private byte[] torn(Write w, Random r) {
        byte[] old = realContent(w);
        byte[] t = old.clone();
        int cut = r.nextInt(w.image().length);
        System.arraycopy(w.image(), 0, t, 0, cut);
        return t;
    }

    private static byte[] flipped(Write w, Random r) {
        byte[] f = w.image().clone();
        int bit = r.nextInt(f.length * 8);
        f[bit >>> 3] ^= (byte) (1 << (bit & 7));
        return f;
    }

    /** What the real file holds at the write's target (zeros for a row never written). */
    private byte[] realContent(Write w) {
        MemorySegment buf = w.meta() ? scratchMeta : scratchPage;
        try {
            if (w.meta()) {
                real.readMeta((int) (-1 - w.target()), buf);
            } else {
                real.readPage(w.target(), buf);
            }
            return buf.asSlice(0, w.image().length).toArray(ValueLayout.JAVA_BYTE);
        } catch (RuntimeException e) {
            return new byte[w.image().length];
        }
    }

    private void land(long target, byte[] image) {
        MemorySegment buf = target < 0 ? scratchMeta : scratchPage;
        MemorySegment.copy(image, 0, buf, ValueLayout.JAVA_BYTE, 0, image.length);
        if (target < 0) {
            real.writeMeta((int) (-1 - target), buf);
        } else {
            real.writePage(target, buf);
        }
    }

    @Override
    public String toString() {
        return "FaultyPageIo[pageSize=" + pageSize + ", unsynced=" + unsynced.size() + ", writes=" + writes + "]";
    }
}
