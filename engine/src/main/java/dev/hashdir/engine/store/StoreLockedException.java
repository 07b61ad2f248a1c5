package dev.hashdir.engine.store;

import dev.hashdir.engine.StoreException;

/** Another writer holds the data directory's lock. */
public final class StoreLockedException extends StoreException {

    private static final long serialVersionUID = 1L;

    public StoreLockedException(String message) {
        super(message);
    }
}
