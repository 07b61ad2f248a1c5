package dev.hashdir.engine.pipeline;

import dev.hashdir.engine.HashDir;

/**
 * Work the engine thread does between batches, such as an incremental checkpoint step. The engine
 * thread owns the {@link HashDir}, so this is the one place other engine work may touch it.
 *
 * <p>Threading: called only on the engine thread, once at the end of each batch.
 */
@FunctionalInterface
public interface EngineHook {

    /** Does nothing. */
    EngineHook NONE = (hd, lastAppliedLsn, appliedMutations) -> { };

    /**
     * Called at the end of each batch the engine handler applied.
     *
     * @param hd               the directory (engine thread only)
     * @param lastAppliedLsn   LSN of the last mutation applied to memory so far (its WAL record
     *                         may not be durable yet); 0 before the first
     * @param appliedMutations whether this batch changed anything
     */
    void onEndOfBatch(HashDir hd, long lastAppliedLsn, boolean appliedMutations);

    /**
     * Called when the pipeline resumed writing after a page store failure: the file was reopened
     * (a checkpoint that was running is abandoned), the WAL replayed and a full checkpoint covering
     * {@code checkpointLsn} is durable. Does nothing by default.
     */
    default void onResumed(HashDir hd, long checkpointLsn) {
    }
}
