package dev.hashdir.engine.store;

import dev.hashdir.engine.StoreException;

import java.nio.file.Path;

/**
 * A read of a row written after the last successful sync, once a sync has failed: the kernel may
 * have dropped that write (Linux marks pages it failed to write back clean), so the row may read
 * back an older image, checksum and all. The store refuses such reads rather than risk a wrong
 * answer; reopening it (which goes back to the last durable checkpoint) ends this.
 */
public final class PageLostException extends StoreException {

    private static final long serialVersionUID = 1L;

    private final long row;

    public PageLostException(Path file, long row, String failure) {
        super("page row " + row + " of " + file + " was written after the last successful sync and may be lost ("
                + failure + "); reopening the store goes back to its last checkpoint");
        this.row = row;
    }

    /** The row that may be lost. */
    public long row() {
        return row;
    }
}
