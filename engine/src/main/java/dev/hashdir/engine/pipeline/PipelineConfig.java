package dev.hashdir.engine.pipeline;

import dev.hashdir.engine.HashDir;
import dev.hashdir.engine.wal.WalRecordLayout;

import java.time.Duration;

/**
 * How the pipeline is sized and tuned. Validated once, here, naming the bad value.
 *
 * @param ringSize      events in the ring, a power of two (a full ring answers busy)
 * @param maxValues     most values one PUT_MANY event carries (more is too_large)
 * @param maxGetValues  most values one GET answer carries (larger limits are capped; the answer says more)
 * @param waitStrategy  how idle pipeline threads wait for work
 * @param batch         bounds of the adaptive batch controller
 * @param retryInterval after a WAL failure, the least time between commit retries; also the timer
 *                      tick that drives them when no requests arrive
 * @param earlyReads    answer a read that saw nothing unacknowledged on the engine thread at once,
 *                      not after the journal and reply threads ({@link EngineHandler}); off: every
 *                      answer goes through the reply thread in ring order (for A/B benchmarks), and
 *                      the engine thread commits nothing itself ({@link #inlineCommitEvents} is moot)
 * @param spinNanos     PARKING only: how long a waiting pipeline thread spins
 *                      ({@link Thread#onSpinWait()}) before it parks, 0 or more (0: park at once)
 * @param inlineCommitEvents most events still unanswered at the end of an engine batch that the
 *                      engine thread commits and answers itself while the journal thread is idle
 *                      ({@link EngineHandler}), 0 to {@link #MAX_INLINE_COMMIT_EVENTS}; 0: every
 *                      commit on the journal thread
 */
public record PipelineConfig(int ringSize, int maxValues, int maxGetValues, Wait waitStrategy, BatchController.Bounds batch,
                             Duration retryInterval, boolean earlyReads, long spinNanos, int inlineCommitEvents) {

    /**
     * Default {@link #spinNanos}: no spin. Measured on the shared 2-core VM (docs/benchmarks.md,
     * "Service vs Redis"): a spin of 20 or 50 us made the single-client round trip slower (the
     * spinning thread takes the core that the next hop of the same request needs).
     */
    public static final long DEFAULT_SPIN_NANOS = 0;
    /**
     * Default {@link #inlineCommitEvents}: a lone write, or a few, is committed on the engine
     * thread when the journal is idle (measured in docs/benchmarks.md, "Commits on the engine thread").
     */
    public static final int DEFAULT_INLINE_COMMIT_EVENTS = 4;
    /**
     * No commit on the engine thread while commits take longer than this on average (the batch
     * controller's {@link BatchController#commitNanos()}): a slow or stalling disk then holds the
     * journal thread, not the engine's reads.
     */
    public static final long INLINE_MAX_COMMIT_NANOS = 1_000_000;
    /** Largest {@link #inlineCommitEvents}: larger batches are worth overlapping with the engine's work. */
    public static final int MAX_INLINE_COMMIT_EVENTS = 1024;
    /** Largest {@link #spinNanos}: a spin longer than a park/unpark round trip only burns a core. */
    public static final long MAX_SPIN_NANOS = 1_000_000;

    /**
     * How handler threads wait. Note: Disruptor's blocking strategies block only on the ring's
     * cursor; a handler waiting for the one before it (the reply for the journal's fsync) spins.
     * On 2 shared cores SLEEPING measured about 4x the SYNC put rate of BLOCKING (1 to 256
     * requests in flight), so it is the default.
     */
    public enum Wait {
        /** Lock and condition on the cursor, spinning on the handler before: least idle CPU. */
        BLOCKING,
        /** Spin briefly, then yield, then park ~50-100 us: no long spins; wakes while idle. */
        SLEEPING,
        /** Spin, then yield: lowest latency, a core per thread while idle. */
        YIELDING,
        /**
         * Spin for {@link #spinNanos} (default none), then park until woken, also when waiting
         * for the handler before ({@link ParkingWaitStrategy}): no idle CPU, a hand-off costs one
         * unpark, and only the thread whose wait is over is woken.
         */
        PARKING
    }

    public PipelineConfig {
        if (ringSize < 2 || Integer.bitCount(ringSize) != 1) {
            throw new IllegalArgumentException("ring size must be a power of two, at least 2: ringSize=" + ringSize);
        }
        // a PUT_MANY record of maxValues values must fit the WAL's record limit with any key length
        int most = WalRecordLayout.maxValues(64);
        if (maxValues < 1 || maxValues > most) {
            throw new IllegalArgumentException("max values must be 1.." + most + ": maxValues=" + maxValues);
        }
        if (maxGetValues < 1 || maxGetValues > HashDir.MAX_LIMIT) {
            throw new IllegalArgumentException("max get values must be 1.." + HashDir.MAX_LIMIT + ": maxGetValues="
                    + maxGetValues);
        }
        if (waitStrategy == null || batch == null) {
            throw new IllegalArgumentException("wait strategy and batch must be given: waitStrategy=" + waitStrategy + ", batch=" + batch);
        }
        if (retryInterval == null || retryInterval.isNegative() || retryInterval.isZero()) {
            throw new IllegalArgumentException("retry interval must be positive: retryInterval=" + retryInterval);
        }
        if (spinNanos < 0 || spinNanos > MAX_SPIN_NANOS) {
            throw new IllegalArgumentException("spin must be 0.." + MAX_SPIN_NANOS + " ns: spinNanos=" + spinNanos);
        }
        if (inlineCommitEvents < 0 || inlineCommitEvents > MAX_INLINE_COMMIT_EVENTS) {
            throw new IllegalArgumentException("inline commit events must be 0.." + MAX_INLINE_COMMIT_EVENTS
                    + ": inlineCommitEvents=" + inlineCommitEvents);
        }
    }

    /**
     * 4096 events, 1024 values per put, 1024 per get page, sleeping wait, default controller, 100 ms
     * retry, early reads on, no spin before a park, commits of up to
     * {@value #DEFAULT_INLINE_COMMIT_EVENTS} events on the engine thread while the journal is idle.
     */
    public static PipelineConfig defaults() {
        return new PipelineConfig(4096, 1024, 1024, Wait.SLEEPING, BatchController.Bounds.defaults(),
                Duration.ofMillis(100), true, DEFAULT_SPIN_NANOS,
                DEFAULT_INLINE_COMMIT_EVENTS);
    }

    public PipelineConfig withRingSize(int size) {
        return new PipelineConfig(size, maxValues, maxGetValues, waitStrategy, batch, retryInterval, earlyReads, spinNanos, inlineCommitEvents);
    }

    public PipelineConfig withBatch(BatchController.Bounds bounds) {
        return new PipelineConfig(ringSize, maxValues, maxGetValues, waitStrategy, bounds, retryInterval, earlyReads, spinNanos, inlineCommitEvents);
    }

    public PipelineConfig withWaitStrategy(Wait w) {
        return new PipelineConfig(ringSize, maxValues, maxGetValues, w, batch, retryInterval, earlyReads, spinNanos, inlineCommitEvents);
    }

    public PipelineConfig withRetryInterval(Duration interval) {
        return new PipelineConfig(ringSize, maxValues, maxGetValues, waitStrategy, batch, interval, earlyReads, spinNanos, inlineCommitEvents);
    }

    public PipelineConfig withEarlyReads(boolean early) {
        return new PipelineConfig(ringSize, maxValues, maxGetValues, waitStrategy, batch, retryInterval, early, spinNanos, inlineCommitEvents);
    }

    public PipelineConfig withSpinNanos(long nanos) {
        return new PipelineConfig(ringSize, maxValues, maxGetValues, waitStrategy, batch, retryInterval, earlyReads, nanos, inlineCommitEvents);
    }

    public PipelineConfig withInlineCommitEvents(int events) {
        return new PipelineConfig(ringSize, maxValues, maxGetValues, waitStrategy, batch, retryInterval, earlyReads,
                spinNanos, events);
    }
}
