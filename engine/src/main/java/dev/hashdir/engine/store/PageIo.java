package dev.hashdir.engine.store;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * The file I/O under a {@link PageStore}: whole chunks of {@code /pages} (one page per row) and of
 * {@code /meta} (one slot per chunk), growing {@code /pages}, flushing and syncing. The store
 * checksums, checks and orders; this only moves bytes. The production implementation calls HDF5
 * (direct chunk I/O, {@code H5Fflush}, {@code fdatasync}); tests put a fault-injecting layer
 * here, because HDF5 writes through its own file driver where no Java file wrapper can reach.
 *
 * <p>Failures are unchecked exceptions except {@link #sync()}'s {@link IOException}. A read of a
 * row never written fails.
 *
 * <p>Threading: engine thread only, as the store, except {@link #fdatasync()} (see
 * {@link #syncsOnAnyThread()}).
 */
public interface PageIo extends AutoCloseable {

    /** Writes the page image {@code page} (native memory, one page) to {@code row}. */
    void writePage(long row, MemorySegment page);

    /** Reads {@code row} into {@code dst}; fails when the row was never written. */
    void readPage(long row, MemorySegment dst);

    /** Writes meta slot {@code slot}. */
    void writeMeta(int slot, MemorySegment slotImage);

    /** Reads meta slot {@code slot}. */
    void readMeta(int slot, MemorySegment dst);

    /** Rows {@code /pages} has room for now. */
    long rows();

    /** Grows {@code /pages} to {@code rows} rows (metadata only: no page storage is allocated). */
    void extend(long rows);

    /**
     * Hands buffered writes to the operating system ({@code H5Dflush}, {@code H5Fflush}) so SWMR
     * readers see them; not durable. Engine thread (HDF5).
     */
    void flush();

    /**
     * {@code fdatasync} of the file: makes durable what {@link #flush()} handed to the operating
     * system. Calls libc only, never HDF5, so the store runs it on its sync thread
     * ({@link PageStore#startSync()}) while the engine thread goes on, unless
     * {@link #syncsOnAnyThread()} says otherwise.
     */
    void fdatasync() throws IOException;

    /**
     * Starts writing back what {@link #flush()} handed to the operating system without waiting for
     * it, so the next {@link #fdatasync()} has less left to do; makes nothing durable. Like
     * {@link #fdatasync()}, libc only, run on the store's sync thread. Does nothing by default.
     */
    default void startWriteback() throws IOException {
    }

    /**
     * Whether {@link #fdatasync()} may run on another thread than the engine thread, concurrently
     * with its writes. True for the HDF5 file (a libc call on the descriptor); a test layer whose
     * sync moves held writes into the file through HDF5 says false, and the store syncs inline.
     */
    default boolean syncsOnAnyThread() {
        return true;
    }

    /** Makes every write so far durable: {@link #flush()}, then {@link #fdatasync()}. */
    default void sync() throws IOException {
        flush();
        fdatasync();
    }

    /** Closes the datasets and the file. */
    @Override
    void close();

    /** Wraps the store's I/O when it is opened, and again on every internal reopen (tests inject faults). */
    @FunctionalInterface
    interface Wrapper {

        /** No wrapping: HDF5 directly. */
        Wrapper NONE = io -> io;

        PageIo wrap(PageIo hdf5);
    }
}
