package dev.hashdir.engine.store;

import dev.hashdir.engine.StoreException;

import java.nio.file.Path;

/**
 * A reader's snapshot is gone: a page it refers to was rewritten by a newer checkpoint (its slot
 * was reclaimed). Not corruption. Call {@link SnapshotReader#refresh()} and restart the lookup
 * from the new meta.
 */
public final class StaleSnapshotException extends StoreException {

    private static final long serialVersionUID = 1L;

    public StaleSnapshotException(Path file, long page, long pageEpoch, long snapshotEpoch) {
        super("snapshot is stale: file=" + file + ", page=" + page + " was rewritten in epoch " + pageEpoch
                + ", snapshot epoch=" + snapshotEpoch + "; refresh and retry");
    }
}
