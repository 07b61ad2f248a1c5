package dev.hashdir.engine.store;

import dev.hashdir.engine.StoreException;

/**
 * A page store write, grow or sync failed (disk full, I/O error). The store remembers the first
 * failure ({@link PageStore#writeFailure()}) and refuses to publish a checkpoint until it is
 * reopened, since neither HDF5's state after a failed write nor the kernel's after a failed
 * {@code fdatasync} can be trusted.
 */
public final class PageWriteException extends StoreException {

    private static final long serialVersionUID = 1L;

    public PageWriteException(String message, Throwable cause) {
        super(message, cause);
    }
}
