package dev.hashdir.engine.wal;

import java.io.IOException;
import java.util.List;

/**
 * The directory holding WAL segments ({@code <data>/wal/}). Creating or deleting a file changes
 * the directory, which is not durable until {@link #syncDirectory()} returns: the writer syncs it
 * after creating a segment (and forcing the segment's header), before writing any record there.
 *
 * <p>Threading: one thread at a time.
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

    /** Where a file lives, for messages (a path). */
    String describe(String name);
}
