package dev.hashdir.engine.pipeline;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** The controller's decisions, driven by a fake clock: time is whatever the test passes in. */
class BatchControllerTest {

    private static final long MS = 1_000_000;
    private static final BatchController.Bounds BOUNDS = new BatchController.Bounds(4, 2048, 2 * MS);

    /** Feeds {@code commits} commits of {@code events} every {@code interval}, each taking {@code fsync}. */
    private static long feed(BatchController c, long now, int commits, long interval, int events, long fsync,
                             long depth) {
        for (int i = 0; i < commits; i++) {
            now += interval;
            c.onCommit(now, events, fsync, depth);
        }
        return now;
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
    void shouldNotWaitAtLowLoad() {
        BatchController c = new BatchController(BOUNDS);
        // one request every 10 ms, fsync 1 ms: 0.1 arrivals per commit
        feed(c, 0, 50, 10 * MS, 1, MS, 0);
        assertThat(c.waitNanos()).isZero();
        assertThat(c.maxBatch()).isEqualTo(BOUNDS.minBatch());
        assertThat(c.snapshot().arrivalsPerSec()).isCloseTo(100, org.assertj.core.data.Offset.offset(1.0));
    }

    @Test
    void shouldWaitAndGrowBatchesAtHighLoadWithSlowFsync() {
        BatchController c = new BatchController(BOUNDS);
        long now = feed(c, 0, 50, 10 * MS, 1, MS, 0);
        int lowBatch = c.maxBatch();
        // 200 requests per 5 ms commit cycle (40k/s), fsync 5 ms: 200 arrivals per commit
        feed(c, now, 50, 5 * MS, 200, 5 * MS, 0);
        assertThat(c.waitNanos()).isPositive().isLessThanOrEqualTo(BOUNDS.maxWaitNanos());
        assertThat(c.waitNanos()).isEqualTo(2 * MS); // F/2 = 2.5 ms, capped by the bound
        assertThat(c.maxBatch()).isGreaterThan(lowBatch).isBetween(BOUNDS.minBatch(), BOUNDS.maxBatch());
        // 2 r (F + wait) = 2 * 40k/s * 7 ms = 560
        assertThat(c.maxBatch()).isBetween(540, 580);
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
        assertThat(c.maxBatch()).isEqualTo(BOUNDS.minBatch());
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
        for (int run = 0; run < 50; run++) {
            int min = 1 + rnd.nextInt(64);
            BatchController.Bounds b = new BatchController.Bounds(min, min + rnd.nextInt(5000), rnd.nextLong(5 * MS));
            BatchController c = new BatchController(b);
            long now = 0;
            for (int i = 0; i < 400; i++) {
                now += rnd.nextLong(0, 50 * MS);
                c.onCommit(now, rnd.nextInt(0, 10_000), rnd.nextLong(0, 100 * MS), rnd.nextLong(0, 1 << 20));
                assertThat(c.maxBatch()).isBetween(b.minBatch(), b.maxBatch());
                assertThat(c.waitNanos()).isBetween(0L, b.maxWaitNanos());
            }
        }
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
