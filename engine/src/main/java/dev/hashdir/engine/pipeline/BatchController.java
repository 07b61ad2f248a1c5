package dev.hashdir.engine.pipeline;

/**
 * The adaptive batch controller: after every group commit it looks at the arrival rate, the batch
 * size, the commit (fsync) latency, the CPU time the commit took and the queue depth, and sets how
 * many events one commit may take ({@link #maxBatch()}) and how long the journal may wait for more
 * events before it commits ({@link #waitNanos()}).
 *
 * <p>Design note. Let r be the arrival rate (EWMA of events per commit over EWMA of the time
 * between commits: a ratio of averages, since an average of per-commit rates overstates the rate of
 * a lone closed-loop client), F the commit latency (EWMA) and C the journal thread's CPU time per
 * commit (EWMA). Then a = r * F is how many requests arrive while one commit runs.
 *
 * <p>The journal does natural group commit: it commits as soon as the ring is empty, and whatever
 * arrives during a commit joins the next one. That already batches as much as waiting would at
 * any load: commits never overlap, so there are at most 1/F of them a second and each takes all
 * that arrived meanwhile. Waiting before a commit only adds latency, unless the commits cost CPU
 * that the requests need: a commit whose fsync blocks (the thread sleeps in the kernel while the
 * disk works) costs little CPU however many there are; one that is mostly CPU (a fast device, a
 * write without a force in ASYNC and NONE) costs CPU per commit, and fewer, larger commits leave
 * more for the requests. (Measured on a shared 2-core VM with fdatasync on ext4: waiting half an
 * fsync raised p99 at 10% and 90% load by 1.3 to 1.4x against never waiting; docs/benchmarks.md.)
 * <ul>
 *   <li>wait: 0, unless a &gt;= 1 (someone arrives while a commit runs) and the commit is
 *       CPU-bound (C &gt;= {@value #CPU_BOUND_SHARE} F); then min(F / 2, maxBatch / r) gathers the
 *       requests that are about to arrive into this commit, within {@code [0, maxWait]}. The
 *       journal stops waiting early when the batch is full.</li>
 *   <li>max batch while not waiting: the upper bound, so that a commit takes everything queued (a
 *       burst after a quiet spell, a backlog at high load) instead of cutting it into several
 *       fsyncs while the averages catch up.</li>
 *   <li>max batch while waiting: twice what arrives during one commit cycle, 2 r (F + wait), and
 *       at least the queue depth seen at the last commit (so a backlog is drained in large
 *       commits), within {@code [minBatch, maxBatch]}: it ends the wait once a commit is full.</li>
 * </ul>
 * A commit whose CPU time is not known (the JVM cannot measure thread CPU time: -1 is passed) counts
 * as not CPU-bound.
 * A {@linkplain Bounds#fixed fixed} setting turns the adaptation off: every commit may take
 * {@code maxBatch} events and the journal waits up to {@code maxWait} (measurements go on, for the
 * stats). Benchmarks compare the controller against such settings (docs/benchmarks.md).
 *
 * <p>Time is passed in, never read here, so tests drive it with a fake clock.
 *
 * <p>Threading: {@link #onCommit} only on the journal thread; the getters and {@link #snapshot()}
 * from any thread (fields are volatile; a snapshot may mix two neighbouring updates).
 */
public final class BatchController {

    /** Weight of the newest sample in the moving averages. */
    static final double ALPHA = 0.25;
    /** Arrivals per commit at or above which waiting pays. */
    static final double BUSY_ARRIVALS = 1.0;
    /** Share of the commit latency the journal may wait. */
    static final double WAIT_SHARE = 0.5;
    /**
     * CPU time over latency of a commit at or above which the commit counts as CPU-bound (waiting
     * pays). An fdatasync on this project's VM takes CPU of its own (the kernel's block and virtio
     * path): with SYNC commits the share measured 4-48% (median 29%) at 90% load and up to 52% at
     * 10%, where the commits are small and their forces quick (docs/benchmarks.md, "Session 11:
     * the controller phase with a checkpoint before each level");
     * at 0.5 that made the controller wait (and cut its max batch to a few events) now and then at
     * 10% load, where waiting only adds latency. A commit without a force (ASYNC, NONE) is nearly
     * all CPU and still counts.
     */
    static final double CPU_BOUND_SHARE = 0.75;

    /**
     * Bounds of the controller, from configuration.
     *
     * @param minBatch     smallest max batch (events per commit), at least 1
     * @param maxBatch     largest max batch, at least minBatch
     * @param maxWaitNanos longest wait before a commit, 0 or more (0: never wait)
     * @param fixed        no adaptation: always {@code maxBatch} and {@code maxWaitNanos}
     */
    public record Bounds(int minBatch, int maxBatch, long maxWaitNanos, boolean fixed) {

        /** Adaptive within these bounds. */
        public Bounds(int minBatch, int maxBatch, long maxWaitNanos) {
            this(minBatch, maxBatch, maxWaitNanos, false);
        }

        public Bounds {
            if (minBatch < 1 || maxBatch < minBatch) {
                throw new IllegalArgumentException("batch bounds must be 1 <= minBatch <= maxBatch: minBatch="
                        + minBatch + ", maxBatch=" + maxBatch);
            }
            if (maxWaitNanos < 0) {
                throw new IllegalArgumentException("max wait must be zero or more: maxWaitNanos=" + maxWaitNanos);
            }
        }

        /** 1..4096 events per commit, waits up to 2 ms. */
        public static Bounds defaults() {
            return new Bounds(1, 4096, 2_000_000);
        }

        /** A fixed setting: every commit may take {@code maxBatch} events, the journal waits up to {@code waitNanos}. */
        public static Bounds fixed(int maxBatch, long waitNanos) {
            return new Bounds(maxBatch, maxBatch, waitNanos, true);
        }
    }

    /**
     * The controller's state: its decisions and what it measured.
     *
     * @param maxBatch        events one commit may take
     * @param waitNanos       longest wait for more events before a commit
     * @param arrivalsPerSec  EWMA of the arrival rate
     * @param commitNanos     EWMA of the commit (write + fsync) latency
     * @param commitCpuNanos  EWMA of the journal thread's CPU time per commit (-1: not measured)
     * @param meanBatch       EWMA of events per commit
     * @param queueDepth      events waiting in the ring at the last commit
     * @param commits         commits seen
     */
    public record Snapshot(int maxBatch, long waitNanos, double arrivalsPerSec, double commitNanos,
                           double commitCpuNanos, double meanBatch, long queueDepth, long commits) {
    }

    private final Bounds bounds;
    private volatile int maxBatch;
    private volatile long waitNanos;
    private volatile double rate;
    private volatile double commitNanos;
    private volatile double commitCpuNanos = -1;
    private volatile double meanBatch;
    private volatile long queueDepth;
    private volatile long commits;
    private double meanInterval;
    private long lastCommitAt;

    public BatchController(Bounds bounds) {
        this.bounds = bounds;
        this.maxBatch = bounds.maxBatch();
        this.waitNanos = bounds.fixed() ? bounds.maxWaitNanos() : 0;
    }

    public Bounds bounds() {
        return bounds;
    }

    /**
     * Takes the measurements of one commit and updates the decisions.
     *
     * @param nowNanos    when the commit ended
     * @param events      events of its group (reads waiting for it included: they are arrivals too;
     *                    not answers the engine thread gave early, which wait for no commit)
     * @param latency     how long the commit took (write + fsync)
     * @param cpu         CPU time the journal thread spent in it, or -1 when not known
     * @param depth       events published but not yet taken by the journal
     */
    public void onCommit(long nowNanos, int events, long latency, long cpu, long depth) {
        long n = commits;
        if (cpu < 0) {
            commitCpuNanos = -1;
        } else {
            commitCpuNanos = ewma(commitCpuNanos, cpu, commitCpuNanos < 0);
        }
        if (n == 0) {
            commitNanos = latency;
            meanBatch = events;
        } else {
            long interval = Math.max(1, nowNanos - lastCommitAt);
            meanInterval = ewma(meanInterval, interval, n == 1);
            commitNanos = ewma(commitNanos, latency, false);
            meanBatch = ewma(meanBatch, events, false);
            rate = meanBatch * 1e9 / meanInterval;
        }
        lastCommitAt = nowNanos;
        queueDepth = depth;
        commits = n + 1;
        decide();
    }

    private void decide() {
        if (bounds.fixed()) {
            return;
        }
        double r = rate;
        double f = commitNanos;
        double arrivals = r * f / 1e9;
        boolean cpuBound = commitCpuNanos >= 0 && commitCpuNanos >= CPU_BOUND_SHARE * f;
        long wait = 0;
        if (arrivals >= BUSY_ARRIVALS && cpuBound) {
            double fill = r > 0 ? bounds.maxBatch() * 1e9 / r : Double.MAX_VALUE;
            wait = (long) Math.min(Math.min(f * WAIT_SHARE, fill), bounds.maxWaitNanos());
        }
        if (wait == 0) {
            maxBatch = bounds.maxBatch(); // natural group commit: take everything queued
        } else {
            double cycle = 2 * r * (f + wait) / 1e9;
            long batch = Math.max((long) Math.ceil(cycle), queueDepth);
            maxBatch = Math.clamp(batch, bounds.minBatch(), bounds.maxBatch());
        }
        waitNanos = Math.clamp(wait, 0, bounds.maxWaitNanos());
    }

    private static double ewma(double old, double sample, boolean first) {
        return first ? sample : old + ALPHA * (sample - old);
    }

    /** Events one commit may take. */
    public int maxBatch() {
        return maxBatch;
    }

    /** EWMA of the commit (write + fsync) latency, nanoseconds; 0 before the first commit. */
    public double commitNanos() {
        return commitNanos;
    }

    /** Longest wait for more events before a commit; 0 at low load. */
    public long waitNanos() {
        return waitNanos;
    }

    public Snapshot snapshot() {
        return new Snapshot(maxBatch, waitNanos, rate, commitNanos, commitCpuNanos, meanBatch, queueDepth, commits);
    }
}
