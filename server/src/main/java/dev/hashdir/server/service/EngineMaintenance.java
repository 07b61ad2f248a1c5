package dev.hashdir.server.service;

import dev.hashdir.engine.HashDir;
import dev.hashdir.engine.Stats;
import dev.hashdir.engine.StatsCell;
import dev.hashdir.engine.pipeline.CheckpointHook;
import dev.hashdir.engine.pipeline.EngineHook;
import dev.hashdir.engine.pipeline.Pipeline;

import java.util.concurrent.TimeUnit;

/**
 * Engine-thread work between batches: the engine's checkpoint policy ({@link CheckpointHook}:
 * incremental checkpoints by WAL records and time, in budgeted steps) and the engine's counters
 * for /stats and /metrics. An idle server is driven by {@link #needsTick()} ticks (a SYNC through
 * the ring). A failed checkpoint write makes the pipeline read-only until it resumes by itself
 * (the pipeline's engine thread reopens the file, replays the WAL and checkpoints once the disk
 * takes writes again).
 *
 * <p>Threading: {@link #onEndOfBatch} on the engine thread; the rest from any thread.
 */
public final class EngineMaintenance implements EngineHook {

    private static final long STATS_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final CheckpointHook checkpoints;
    private volatile Pipeline pipeline;
    private final StatsCell stats = new StatsCell();
    private volatile long lastApplied;
    // engine thread only
    private volatile long statsAt;

    public EngineMaintenance(long checkpointRecords, long checkpointIntervalMillis, int stepPages, long checkpointLsn) {
        this.checkpoints = new CheckpointHook(checkpointRecords, checkpointIntervalMillis, stepPages, checkpointLsn);
    }

    /** Changes when checkpoints begin (both must be positive). */
    public void tune(long records, long intervalMillis) {
        checkpoints.tune(records, intervalMillis);
    }

    public long checkpointRecords() {
        return checkpoints.checkpointRecords();
    }

    public long checkpointIntervalMillis() {
        return checkpoints.checkpointIntervalMillis();
    }

    /** The pipeline this hook runs in (set right after it started). */
    public void pipeline(Pipeline p) {
        this.pipeline = p;
        checkpoints.pipeline(p);
    }

    /** Asks for a checkpoint of everything acknowledged so far. */
    public void force() {
        checkpoints.force();
    }

    /** Whether a tick (a SYNC through the ring) would let this hook make progress now. */
    public boolean needsTick() {
        Pipeline p = pipeline;
        return checkpoints.needsTick() || !stats.captured() || System.nanoTime() - statsAt > 10 * STATS_NANOS
                || lastApplied > checkpoints.checkpointLsn() || p != null && p.pageStoreFailed();
    }

    /** The LSN the last durable checkpoint of this run covers. */
    public long checkpointLsn() {
        return checkpoints.checkpointLsn();
    }

    public long checkpoints() {
        return checkpoints.checkpoints();
    }

    public boolean checkpointRunning() {
        return checkpoints.checkpointRunning();
    }

    /** The engine's counters as of the last batch that changed something (null before the first batch). */
    public Stats stats() {
        return stats.read();
    }

    @Override
    public void onEndOfBatch(HashDir hd, long lastAppliedLsn, boolean appliedMutations) {
        long now = System.nanoTime();
        lastApplied = lastAppliedLsn;
        // every batch that changed something refreshes them (in place: no record a batch), so /stats and
        // /metrics never lag behind an acknowledged write, also when writes then stop
        if (appliedMutations || !stats.captured() || now - statsAt > 10 * STATS_NANOS) {
            stats.capture(hd);
            statsAt = now;
        }
        checkpoints.onEndOfBatch(hd, lastAppliedLsn, appliedMutations);
    }

    @Override
    public void onResumed(HashDir hd, long checkpointLsn) {
        checkpoints.onResumed(hd, checkpointLsn);
        stats.capture(hd);
        statsAt = System.nanoTime();
    }
}
