package dev.hashdir.engine.store;

import dev.hashdir.engine.page.PageCache;

/**
 * Test writers' checkpoints through the engine's own page cache and page map, in the order the
 * engine uses: page images and map leaves, the map's index chain, flush, the next meta, flush.
 * Flushes instead of syncing: SWMR readers see flushed data; the tests do not crash the host.
 */
public final class TestCheckpoints {

    private TestCheckpoints() {
    }

    /** Checkpoints everything {@code cache} holds as the next epoch and publishes its meta; returns it. */
    public static Meta publish(PageStore store, PageCache cache) {
        cache.beginCheckpoint();
        while (!cache.checkpointStep(Integer.MAX_VALUE)) {
            // writes pending images, then the leaves
        }
        PageCache.Checkpoint c = cache.finishCheckpoint();
        Meta m = store.meta();
        Meta next = new Meta(m.formatRead(), m.formatWrite(), m.keyBytes(), m.pageSize(), c.epoch(), m.checkpointLsn(),
                c.pageCount(), m.directoryRoot(), c.pageMapRoot(), c.deletionLogRoot(), m.keys(), m.values(),
                m.globalDepth(), c.rowCount());
        store.flush(); // pages visible before the meta that refers to them
        store.writeMeta(next);
        store.flush();
        cache.checkpointPublished();
        cache.endOperation();
        return next;
    }
}
