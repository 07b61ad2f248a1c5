package dev.hashdir.engine.pipeline;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** The controller's decisions, driven by a fake clock: time is whatever the test passes in. */
class BatchControllerTest {

    private static final long MS = 1_000_000;
    private static final BatchController.Bounds BOUNDS = new BatchController.Bounds(4, 2048, 2 * MS);

    /**
     * Feeds {@code commits} commits of {@code events} every {@code interval}, each taking {@code fsync}
     * of which {@code cpu} on the journal's CPU.
     */
    private static long feed(BatchController c, long now, int commits, long interval, int events, long fsync,
                             long cpu, long depth) {
        for (int i = 0; i < commits; i++) {
            now += interval;
            c.onCommit(now, events, fsync, cpu, depth);
        }
        return now;
    }

    /** As above, the commit all CPU (a fast device, or a write without a force). */
    private static long feed(BatchController c, long now, int commits, long interval, int events, long fsync,
                             long depth) {
        return feed(c, now, commits, interval, events, fsync, fsync, depth);
    }

    /** As above, the commit blocked in the kernel for all but a twentieth of it (an fsync to a disk). */
    private static long feedBlocking(BatchController c, long now, int commits, long interval, int events, long fsync,
                                     long depth) {
        return feed(c, now, commits, interval, events, fsync, fsync / 20, depth);
    }

    @Test
    void shouldKeepAFixedSettingWhateverTheLoad() {
        BatchController c = new BatchController(BatchController.Bounds.fixed(64, 300_000));
        assertThat(c.maxBatch()).isEqualTo(64);
        assertThat(c.waitNanos()).isEqualTo(300_000);
        long now = feed(c, 0, 50, 10 * MS, 1, MS, 0);
        assertThat(c.maxBatch()).isEqualTo(64);
        assertThat(c.waitNanos()).isEqualTo(300_000);
        feed(c, now, 50, 5 * MS, 200, 5 * MS, 1000);
        assertThat(c.maxBatch()).isEqualTo(64);
        assertThat(c.waitNanos()).isEqualTo(300_000);
        assertThat(c.snapshot().commits()).isEqualTo(100);
        assertThat(c.snapshot().arrivalsPerSec()).isGreaterThan(1000);
    }

    @Test
    void shouldNotWaitAtLowLoadAndTakeEverythingQueued() {
        BatchController c = new BatchController(BOUNDS);
        // one request every 10 ms, fsync 1 ms: 0.1 arrivals per commit
        feed(c, 0, 50, 10 * MS, 1, MS, 0);
        assertThat(c.waitNanos()).isZero();
        // a burst after the quiet spell goes into one commit, not into bursts of the small mean batch
        assertThat(c.maxBatch()).isEqualTo(BOUNDS.maxBatch());
        assertThat(c.snapshot().arrivalsPerSec()).isCloseTo(100, org.assertj.core.data.Offset.offset(1.0));
        assertThat(c.snapshot().commitCpuNanos()).isEqualTo(MS);
    }

    @Test
    void shouldWaitAndBoundBatchesAtHighLoadWhenCommitsAreCpuBound() {
        BatchController c = new BatchController(BOUNDS);
        // 200 requests per 5 ms commit cycle (40k/s), commit 5 ms of CPU: 200 arrivals per commit
        feed(c, 0, 50, 5 * MS, 200, 5 * MS, 0);
        assertThat(c.waitNanos()).isPositive().isLessThanOrEqualTo(BOUNDS.maxWaitNanos());
        assertThat(c.waitNanos()).isEqualTo(2 * MS); // F/2 = 2.5 ms, capped by the bound
        // 2 r (F + wait) = 2 * 40k/s * 7 ms = 560: the wait ends once a commit is that full
        assertThat(c.maxBatch()).isBetween(540, 580);
    }

    /**
     * The same load with an fsync that blocks (the journal sleeps in the kernel): natural group
     * commit already puts everything that arrives during a commit into the next one, so waiting
     * would only add latency.
     */
    @Test
    void shouldNotWaitAtHighLoadWhenTheFsyncBlocks() {
        BatchController c = new BatchController(BOUNDS);
        feedBlocking(c, 0, 50, 5 * MS, 200, 5 * MS, 0);
        assertThat(c.waitNanos()).isZero();
        assertThat(c.maxBatch()).isEqualTo(BOUNDS.maxBatch());
        assertThat(c.snapshot().commitCpuNanos()).isCloseTo(5 * MS / 20, org.assertj.core.data.Offset.offset(1.0));
    }

    /** Exactly at the CPU share the commit counts as CPU-bound; just below it does not. */
    @Test
    void shouldWaitFromTheCpuBoundShareOn() {
        long fsync = MS;
        long atShare = (long) (BatchController.CPU_BOUND_SHARE * fsync);
        BatchController at = new BatchController(BOUNDS);
        feed(at, 0, 60, MS, 20, fsync, atShare, 0);
        assertThat(at.waitNanos()).isPositive();
        BatchController below = new BatchController(BOUNDS);
        feed(below, 0, 60, MS, 20, fsync, atShare - 1000, 0);
        assertThat(below.waitNanos()).isZero();
    }

    @Test
    void shouldCountACommitOfUnknownCpuAsNotCpuBound() {
        BatchController c = new BatchController(BOUNDS);
        feed(c, 0, 50, 5 * MS, 200, 5 * MS, -1, 0);
        assertThat(c.waitNanos()).isZero();
        assertThat(c.snapshot().commitCpuNanos()).isEqualTo(-1);
    }

    @Test
    void shouldStopWaitingOnceCommitsTurnIoBound() {
        BatchController c = new BatchController(BOUNDS);
        long now = feed(c, 0, 50, 5 * MS, 200, 5 * MS, 0);
        assertThat(c.waitNanos()).isPositive();
        feedBlocking(c, now, 10, 5 * MS, 200, 5 * MS, 0);
        assertThat(c.waitNanos()).as("after 10 commits of a blocking fsync").isZero();
        assertThat(c.maxBatch()).isEqualTo(BOUNDS.maxBatch());
    }

    @Test
    void shouldWaitHalfTheFsyncWhenThatIsWithinBounds() {
        BatchController c = new BatchController(BOUNDS);
        // 20k/s, fsync 1 ms: 20 arrivals per commit, wait 0.5 ms
        feed(c, 0, 60, MS, 20, MS, 0);
        assertThat(c.waitNanos()).isCloseTo(MS / 2, org.assertj.core.data.Offset.offset(MS / 50));
    }

    @Test
    void shouldDrainABacklogInLargeCommits() {
        BatchController c = new BatchController(BOUNDS);
        feed(c, 0, 10, 10 * MS, 1, MS, 1500);
        assertThat(c.maxBatch()).isGreaterThanOrEqualTo(1500);
    }

    @Test
    void shouldFallBackToNoWaitWhenLoadDrops() {
        BatchController c = new BatchController(BOUNDS);
        long now = feed(c, 0, 50, 5 * MS, 200, 5 * MS, 0);
        assertThat(c.waitNanos()).isPositive();
        feed(c, now, 50, 100 * MS, 1, MS, 0);
        assertThat(c.waitNanos()).isZero();
        assertThat(c.maxBatch()).isEqualTo(BOUNDS.maxBatch());
    }

    @Test
    void shouldNeverWaitWhenTheBoundIsZero() {
        BatchController c = new BatchController(new BatchController.Bounds(1, 100, 0));
        feed(c, 0, 50, 5 * MS, 200, 5 * MS, 0);
        assertThat(c.waitNanos()).isZero();
        assertThat(c.maxBatch()).isEqualTo(100);
    }

    @Test
    void shouldStayWithinBoundsForAnyInput() {
        SplittableRandom rnd = new SplittableRandom(42);
        boolean waited = false;
        for (int run = 0; run < 50; run++) {
            int min = 1 + rnd.nextInt(64);
            BatchController.Bounds b = new BatchController.Bounds(min, min + rnd.nextInt(5000), rnd.nextLong(5 * MS));
            BatchController c = new BatchController(b);
            long now = 0;
            for (int i = 0; i < 400; i++) {
                now += rnd.nextLong(0, 50 * MS);
                long latency = rnd.nextLong(0, 100 * MS);
                long cpu = rnd.nextInt(8) == 0 ? -1 : rnd.nextLong(0, latency + 1);
                c.onCommit(now, rnd.nextInt(0, 10_000), latency, cpu, rnd.nextLong(0, 1 << 20));
                assertThat(c.maxBatch()).isBetween(b.minBatch(), b.maxBatch());
                assertThat(c.waitNanos()).as("seed 42, run %d, commit %d", run, i).isBetween(0L, b.maxWaitNanos());
                waited |= c.waitNanos() > 0;
            }
        }
        assertThat(waited).as("the random inputs reach the waiting rule too").isTrue();
    }

    @Test
    void shouldRejectBadBounds() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new BatchController.Bounds(0, 10, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("minBatch=0");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new BatchController.Bounds(5, 4, 0))
                .isInstanceOf(IllegalArgumentException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new BatchController.Bounds(1, 4, -1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
