package dev.hashdir.engine.wal;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * One open WAL segment file: the only file operations the WAL needs, so tests can put a
 * fault-injecting file underneath (dropped, torn, reordered or bit-flipped unsynced writes, a full
 * disk). Nothing written is durable until {@link #force()} returns.
 *
 * <p>Threading: one thread at a time.
 */
public interface WalFile extends AutoCloseable {

    /** Writes all of {@code src} at the end of the file; on failure a prefix may have been written. */
    void append(MemorySegment src) throws IOException;

    /**
     * Writes all of {@code src} at {@code position}, which must not be past the end of the file (a
     * write reaching past the end extends the file); on failure a prefix may have been written.
     */
    void write(long position, MemorySegment src) throws IOException;

    /**
     * {@link #write(long, MemorySegment)} of {@code length} bytes of {@code src} from {@code offset}:
     * the writer's path for each commit, which an implementation may serve without making an
     * object per call (the default slices).
     */
    default void write(long position, MemorySegment src, long offset, long length) throws IOException {
        write(position, src.asSlice(offset, length));
    }

    /**
     * Extends the file to {@code size} bytes with zeros written to real blocks (not a hole, not an
     * unwritten extent), so that later writes below {@code size} overwrite allocated blocks and their
     * force commits no file size or extent change; nothing happens when the file is that large
     * already. On failure (e.g. ENOSPC) part of it may have been done. Not durable until forced.
     */
    void allocate(long size) throws IOException;

    /**
     * Reads up to {@code dst.byteSize()} bytes from {@code position}.
     *
     * @return the bytes read: fewer than asked only at the end of the file
     */
    long read(long position, MemorySegment dst) throws IOException;

    /** Makes everything written so far durable, the file size included ({@code fdatasync}). */
    void force() throws IOException;

    /** The file's current size in bytes, unsynced writes included. */
    long size() throws IOException;

    /** Cuts the file to {@code size} bytes; like a write, not durable until forced. */
    void truncate(long size) throws IOException;

    @Override
    void close() throws IOException;
}
