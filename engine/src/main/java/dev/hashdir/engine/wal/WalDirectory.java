package dev.hashdir.engine.wal;

import java.io.IOException;
import java.util.List;

/**
 * The directory holding WAL segments ({@code <data>/wal/}). Creating or deleting a file changes
 * the directory, which is not durable until {@link #syncDirectory()} returns: the writer syncs it
 * after creating a segment (and forcing the segment's header), before writing any record there.
 *
 * <p>Threading: one thread at a time, except that when {@link #preparesOnAnyThread()} says so the
 * writer prepares the next segment ({@link WalSegmentLayout#PREPARING_NAME}) on a thread of its own
 * while the journal thread goes on with the other files.
 */
public interface WalDirectory {

    /** Names of the files in the directory, in any order. */
    List<String> list() throws IOException;

    /** Creates a new, empty file; fails if it exists. */
    WalFile create(String name) throws IOException;

    /** Opens an existing file for reading and writing. */
    WalFile openForWrite(String name) throws IOException;

    /** Opens an existing file for reading. */
    WalFile openForRead(String name) throws IOException;

    /**
     * Renames a file, replacing {@code to} if it exists (atomically, as {@code rename(2)}); like a
     * creation, not durable until the directory is synced. Open handles stay valid.
     */
    void rename(String from, String to) throws IOException;

    /** Deletes a file; nothing happens when it does not exist. */
    void delete(String name) throws IOException;

    /** Makes the directory's entries durable: created files stay, deleted ones stay gone. */
    void syncDirectory() throws IOException;

    /**
     * Whether the next segment may be prepared on another thread (creating, zero-filling, forcing,
     * closing and deleting {@link WalSegmentLayout#PREPARING_NAME}) concurrently with the writer's
     * operations on the other files. True for real files; a test layer that models the disk in
     * memory says false (the default), and the writer prepares inline, on the journal thread, at the
     * same point.
     */
    default boolean preparesOnAnyThread() {
        return false;
    }

    /** Where a file lives, for messages (a path). */
    String describe(String name);
}
