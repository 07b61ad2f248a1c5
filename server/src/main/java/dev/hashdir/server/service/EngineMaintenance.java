package dev.hashdir.server.service;

import dev.hashdir.engine.HashDir;
import dev.hashdir.engine.Stats;
import dev.hashdir.engine.pipeline.EngineHook;
import dev.hashdir.engine.pipeline.Pipeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.TimeUnit;

/**
 * Engine-thread work between batches: incremental checkpoints and the engine's counters.
 *
 * <p>A checkpoint begins when the WAL has grown by {@code checkpointRecords} records since the
 * last one, or {@code checkpointInterval} has passed with changes, or one was {@link #force}d; and
 * only when everything applied is acknowledged ({@link Pipeline#ackedLsn()}; durable in SYNC mode),
 * so that a checkpoint never holds records the WAL could still lose. Each later batch end then
 * takes one bounded step ({@link HashDir#checkpointStep}: up to {@code stepPages} pages, or handing
 * a sync to the sync thread, or nothing while one runs: the engine thread never waits for the
 * disk); when the checkpoint is durable the journal thread is asked to
 * delete the WAL segments below it ({@link Pipeline#deleteWalBelow}, because that thread owns the
 * WAL writer). An idle server is driven by {@link #needsTick()} ticks (a SYNC through the ring).
 * A failed checkpoint write throws, which makes the pipeline read-only until restart (recovery
 * then starts from the previous checkpoint plus the WAL).
 *
 * <p>Threading: {@link #onEndOfBatch} on the engine thread; the rest from any thread.
 */
public final class EngineMaintenance implements EngineHook {

    private static final long STATS_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final int stepPages;
    private volatile long checkpointRecords;
    private volatile long checkpointIntervalNanos;
    private volatile Pipeline pipeline;
    private volatile Stats stats;
    private volatile long checkpointLsn;
    private volatile long checkpoints;
    private volatile boolean forced;
    private volatile boolean running;
    private volatile long lastApplied;
    // engine thread only
    private long statsAt;
    private long beganLsn;
    private long lastCheckpointNanos = System.nanoTime();

    public EngineMaintenance(long checkpointRecords, long checkpointIntervalMillis, int stepPages, long checkpointLsn) {
        this.stepPages = stepPages;
        this.checkpointLsn = checkpointLsn;
        tune(checkpointRecords, checkpointIntervalMillis);
    }

    /** Changes when checkpoints begin (both must be positive). */
    public void tune(long records, long intervalMillis) {
        if (records < 1 || intervalMillis < 1) {
            throw new IllegalArgumentException("checkpoint records and interval must be positive: records=" + records
                    + ", intervalMillis=" + intervalMillis);
        }
        this.checkpointRecords = records;
        this.checkpointIntervalNanos = TimeUnit.MILLISECONDS.toNanos(intervalMillis);
    }

    public long checkpointRecords() {
        return checkpointRecords;
    }

    public long checkpointIntervalMillis() {
        return TimeUnit.NANOSECONDS.toMillis(checkpointIntervalNanos);
    }

    /** The pipeline this hook runs in (set right after it started). */
    public void pipeline(Pipeline p) {
        this.pipeline = p;
    }

    /** Asks for a checkpoint of everything acknowledged so far. */
    public void force() {
        forced = true;
    }

    /** Whether a tick (a SYNC through the ring) would let this hook make progress now. */
    public boolean needsTick() {
        return forced || running || stats == null || System.nanoTime() - statsAt > 10 * STATS_NANOS
                || lastApplied > checkpointLsn;
    }

    /** The LSN the last durable checkpoint of this run covers. */
    public long checkpointLsn() {
        return checkpointLsn;
    }

    public long checkpoints() {
        return checkpoints;
    }

    public boolean checkpointRunning() {
        return running;
    }

    /** The engine's counters as of the last batch that changed something (null before the first batch). */
    public Stats stats() {
        return stats;
    }

    @Override
    public void onEndOfBatch(HashDir hd, long lastAppliedLsn, boolean appliedMutations) {
        long now = System.nanoTime();
        lastApplied = lastAppliedLsn;
        // every batch that changed something refreshes them (one small record a batch, not a request), so
        // /stats and /metrics never lag behind an acknowledged write, also when writes then stop
        if (stats == null || appliedMutations || now - statsAt > 10 * STATS_NANOS) {
            stats = hd.stats();
            statsAt = now;
        }
        Pipeline p = pipeline;
        if (hd.checkpointRunning()) {
            step(hd, p, now);
            return;
        }
        long since = lastAppliedLsn - checkpointLsn;
        boolean due = forced || since >= checkpointRecords || since > 0 && now - lastCheckpointNanos >= checkpointIntervalNanos;
        if (due && p != null && lastAppliedLsn <= p.ackedLsn()) {
            forced = false;
            if (since == 0) {
                return; // nothing new: the last checkpoint covers it all
            }
            hd.beginCheckpoint(lastAppliedLsn); // saves the directory and freezes the epoch: the first step waits
            beganLsn = lastAppliedLsn;          // for the next batch, so no batch end pays for both
            running = true;
        }
    }

    private void step(HashDir hd, Pipeline p, long now) {
        boolean done;
        try {
            done = hd.checkpointStep(stepPages);
        } catch (IOException e) {
            throw new UncheckedIOException("checkpoint write failed at LSN " + beganLsn + ": " + e.getMessage(), e);
        }
        if (done) {
            running = false;
            checkpointLsn = beganLsn;
            checkpoints++;
            lastCheckpointNanos = now;
            if (p != null) {
                p.deleteWalBelow(beganLsn + 1);
            }
        }
    }
}
