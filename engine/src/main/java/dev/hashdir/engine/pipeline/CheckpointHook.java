package dev.hashdir.engine.pipeline;

import dev.hashdir.engine.HashDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.TimeUnit;

/**
 * The checkpoint policy of a {@link Pipeline}: engine-thread work between batches that writes
 * incremental checkpoints and then deletes the WAL below them.
 *
 * <p>A checkpoint begins when the WAL has grown by {@code checkpointRecords} records since the
 * last one, or {@code checkpointInterval} has passed with changes, or one was {@link #force}d. It
 * covers everything applied at that batch end ({@link HashDir#beginCheckpoint} writes nothing: it
 * freezes the epoch), and it writes nothing until all of that is acknowledged
 * ({@link Pipeline#ackedLsn()}; durable in SYNC mode), so that a checkpoint never holds records
 * the WAL could still lose. (It used to begin only at a batch end where everything applied was
 * acknowledged already: under steady load, with a commit always in flight, that moment rarely
 * came and checkpoints starved.) Each later batch end then
 * takes one bounded step ({@link HashDir#checkpointStep}: up to {@code stepPages} pages, or handing
 * a sync to the sync thread, or nothing while one runs: the engine thread never waits for the
 * disk), paced so that steps take at most {@value #STEP_SHARE} of the engine thread's time (after
 * a step that took d, none for the next 3d): requests keep three quarters of the thread while a
 * checkpoint is written, whatever the batch sizes (pages a request modifies meanwhile keep their
 * frozen images in the page cache's shadows, written by these steps); when the checkpoint is durable the journal thread is asked to delete the WAL segments
 * below it ({@link Pipeline#deleteWalBelow}, because that thread owns the WAL writer). An idle
 * pipeline is driven by ticks (a SYNC through the ring) when {@link #needsTick()}: the pipeline's
 * timer does it for the hook it runs by default ({@link Pipeline#start(HashDir,
 * dev.hashdir.engine.wal.WalWriter, PipelineConfig)}), a server may do it itself.
 *
 * <p>A failed checkpoint write throws ({@link UncheckedIOException}): the pipeline turns read-only
 * and resumes once the disk takes writes again (reopen, WAL replay, a full checkpoint, see
 * {@link EngineHandler}), then {@link #onResumed} records that checkpoint. While the page store
 * has failed, no checkpoint begins.
 *
 * <p>The defaults are the server's: {@value #DEFAULT_RECORDS} records, {@value #DEFAULT_INTERVAL_MILLIS}
 * ms, {@value #DEFAULT_STEP_PAGES} pages a step.
 *
 * <p>Threading: {@link #onEndOfBatch} and {@link #onResumed} on the engine thread; the rest from
 * any thread.
 */
public final class CheckpointHook implements EngineHook {

    /**
     * WAL records between checkpoints by default (the server's {@code checkpoint-records}): 54 MiB
     * of WAL for puts of 32-byte keys (57 bytes a record), about what RocksDB's default 64 MiB
     * memtable holds before a flush. A checkpoint writes every page changed since the last one,
     * and fresh keys spread over the whole store: at 100,000 records the service's engine thread
     * spent about twice the CPU per put once the store held a few million keys
     * (docs/benchmarks.md, "Service vs Redis"). The cost: a crash replays up to this many records
     * (about a second at the measured replay rate).
     */
    public static final long DEFAULT_RECORDS = 1_000_000;
    /** Longest time between checkpoints while there are changes, by default (the server's {@code checkpoint-interval-ms}). */
    public static final long DEFAULT_INTERVAL_MILLIS = 60_000;
    /** Pages a checkpoint step writes at most by default. */
    public static final int DEFAULT_STEP_PAGES = 64;
    /** The share of the engine thread's time checkpoint steps take at most. */
    public static final double STEP_SHARE = 0.25;
    private static final double REST_PER_STEP = (1 - STEP_SHARE) / STEP_SHARE;

    private final int stepPages;
    private volatile long checkpointRecords;
    private volatile long checkpointIntervalNanos;
    private volatile Pipeline pipeline;
    private volatile long checkpointLsn;
    private volatile long checkpoints;
    private volatile boolean forced;
    private volatile boolean running;
    private volatile long lastApplied;
    private volatile long lastCheckpointNanos = System.nanoTime();
    // engine thread only
    private long beganLsn;
    private long nextStepNanos;

    /** A hook whose checkpoint LSN is set when a pipeline starts with it (the store's durable one). */
    public CheckpointHook(long checkpointRecords, long checkpointIntervalMillis, int stepPages) {
        this(checkpointRecords, checkpointIntervalMillis, stepPages, 0);
    }

    /**
     * @param checkpointLsn the LSN the store's durable checkpoint covers (its durable meta's)
     */
    public CheckpointHook(long checkpointRecords, long checkpointIntervalMillis, int stepPages, long checkpointLsn) {
        if (stepPages < 1) {
            throw new IllegalArgumentException("checkpoint step pages must be positive: stepPages=" + stepPages);
        }
        this.stepPages = stepPages;
        this.checkpointLsn = checkpointLsn;
        this.lastApplied = checkpointLsn;
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

    /** The pipeline starting with this hook: the LSN its store's durable checkpoint covers. */
    void attach(long durableCheckpointLsn) {
        this.checkpointLsn = durableCheckpointLsn;
        this.lastApplied = durableCheckpointLsn;
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
        if (forced || running) {
            return true;
        }
        long since = lastApplied - checkpointLsn;
        return since >= checkpointRecords
                || since > 0 && System.nanoTime() - lastCheckpointNanos >= checkpointIntervalNanos;
    }

    /** The LSN the last durable checkpoint of this run covers. */
    public long checkpointLsn() {
        return checkpointLsn;
    }

    /** LSN of the last mutation applied as of the last batch end. */
    public long lastAppliedLsn() {
        return lastApplied;
    }

    /** Checkpoints made durable in this run (a resume's full checkpoint included). */
    public long checkpoints() {
        return checkpoints;
    }

    public boolean checkpointRunning() {
        return running;
    }

    @Override
    public void onEndOfBatch(HashDir hd, long lastAppliedLsn, boolean appliedMutations) {
        lastApplied = lastAppliedLsn;
        Pipeline p = pipeline;
        if (p != null && p.pageStoreFailed() || hd.writeFailure() != null) {
            return; // no checkpoint can be written; the resume writes one
        }
        long now = System.nanoTime();
        if (hd.checkpointRunning()) {
            if ((p == null || beganLsn <= p.ackedLsn()) && now - nextStepNanos >= 0) {
                step(hd, p, now);
            } // else its last records are still being committed (no page of it is written before they are),
              // or the last step's rest has not passed
            return;
        }
        long since = lastAppliedLsn - checkpointLsn;
        boolean due = forced || since >= checkpointRecords
                || since > 0 && now - lastCheckpointNanos >= checkpointIntervalNanos;
        if (due && p != null) {
            forced = false;
            if (since == 0) {
                return; // nothing new: the last checkpoint covers it all
            }
            hd.beginCheckpoint(lastAppliedLsn); // saves the directory and freezes the epoch: the first step waits
            beganLsn = lastAppliedLsn;          // for the next batch, so no batch end pays for both
            running = true;
        }
    }

    @Override
    public void onResumed(HashDir hd, long resumedLsn) {
        running = false;
        forced = false;
        checkpointLsn = resumedLsn;
        checkpoints++;
        lastCheckpointNanos = System.nanoTime();
    }

    private void step(HashDir hd, Pipeline p, long now) {
        boolean done;
        try {
            done = hd.checkpointStep(stepPages);
        } catch (IOException e) {
            throw new UncheckedIOException("checkpoint write failed at LSN " + beganLsn + ": " + e.getMessage(), e);
        }
        long end = System.nanoTime();
        nextStepNanos = end + (long) ((end - now) * REST_PER_STEP);
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
