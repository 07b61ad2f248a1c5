package dev.hashdir.bench.load;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The open-loop pacing and the coordinated-omission correction, on a made-up clock: no sleeping,
 * no timing assertion. A request sent late is measured from when it was due, not when it went out.
 */
class OpenLoopScheduleTest {

    private static final long MS = 1_000_000;

    @Test
    void shouldSpaceRequestsEvenlyAndDealThemRoundRobin() {
        OpenLoopSchedule s = new OpenLoopSchedule(1_000, 4_000, 3); // 4,000/s: every 250 us
        assertThat(s.intended(0)).isEqualTo(1_000);
        assertThat(s.intended(1)).isEqualTo(1_000 + 250_000);
        assertThat(s.intended(4_000)).isEqualTo(1_000 + 1_000 * MS);
        assertThat(s.connection(0)).isZero();
        assertThat(s.connection(4)).isEqualTo(1);
        assertThat(s.connection(5)).isEqualTo(2);
    }

    @Test
    void shouldCountExactlyTheRequestsDueByATime() {
        OpenLoopSchedule s = new OpenLoopSchedule(5_000, 3_000, 2); // 333,333.33 ns apart: not whole
        assertThat(s.dueBy(4_999)).isZero();
        assertThat(s.dueBy(5_000)).isEqualTo(1);
        long seed = 7;
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = 0; i < 10_000; i++) {
            long now = 5_000 + rnd.nextLong(10_000 * MS);
            long n = s.dueBy(now);
            assertThat(s.intended(n - 1)).as("seed %d, now %d", seed, now).isLessThanOrEqualTo(now);
            assertThat(s.intended(n)).as("seed %d, now %d", seed, now).isGreaterThan(now);
        }
    }

    @Test
    void shouldMeasureALateRequestFromWhenItWasDue() {
        // 1,000/s, one connection holding one request at a time: the server stalls 10 ms on request 0,
        // so requests 1..10 go out late, each as soon as the one before returns (1 us later)
        OpenLoopSchedule s = new OpenLoopSchedule(0, 1_000, 1);
        InFlight f = new InFlight(1);
        Histogram h = new Histogram(60_000 * MS, 3);
        long now = 0;
        f.sent(0, s.intended(0));
        now += 10 * MS; // the stall
        f.replied(0, now, h, 0, Long.MAX_VALUE);
        for (long k = 1; k <= 10; k++) {
            assertThat(f.canSend(k)).isTrue();
            f.sent(k, s.intended(k)); // sent at `now`, but due at k ms
            now += 1_000;
            f.replied(k, now, h, 0, Long.MAX_VALUE);
        }
        // latencies: 10 ms, then (10 ms + k us) - k ms for k = 1..10: 9.001, 8.002, ..., 0.010 ms
        assertThat(h.getTotalCount()).isEqualTo(11);
        assertThat(h.getMaxValue()).isEqualTo(h.highestEquivalentValue(10 * MS));
        assertThat(h.getMinValue()).isEqualTo(h.lowestEquivalentValue(10_000));
        long sum = 10 * MS;
        for (long k = 1; k <= 10; k++) {
            sum += 10 * MS + k * 1_000 - k * MS;
        }
        assertThat(h.getMean()).isCloseTo(sum / 11.0, org.assertj.core.data.Offset.offset(sum / 11.0 * 1e-3));
        // measured from the send instead, every late request would have looked like 1 us
    }

    @Test
    void shouldRecordOnlyRequestsDueInTheWindow() {
        InFlight f = new InFlight(8);
        Histogram h = new Histogram(60_000 * MS, 3);
        f.sent(1, 5 * MS);
        f.sent(2, 10 * MS);
        f.sent(3, 20 * MS);
        assertThat(f.count()).isEqualTo(3);
        f.replied(3, 25 * MS, h, 10 * MS, 20 * MS); // due at the window's end: outside
        f.replied(1, 25 * MS, h, 10 * MS, 20 * MS); // warm-up: outside
        f.replied(2, 25 * MS, h, 10 * MS, 20 * MS);
        assertThat(h.getTotalCount()).isEqualTo(1);
        assertThat(h.getMaxValue()).isEqualTo(h.highestEquivalentValue(15 * MS));
        assertThat(f.count()).isZero();
    }

    @Test
    void shouldRefuseASecondRequestOnABusySlotAndAnUnknownReply() {
        InFlight f = new InFlight(2);
        f.sent(0, 0);
        f.sent(1, 0);
        assertThat(f.canSend(2)).isFalse(); // id 2 wraps onto id 0's slot
        assertThatThrownBy(() -> f.sent(2, 0)).hasMessageContaining("in use");
        Histogram h = new Histogram(60_000 * MS, 3);
        f.replied(0, 1, h, 0, 1);
        assertThatThrownBy(() -> f.replied(0, 1, h, 0, 1)).hasMessageContaining("not in flight");
    }

    @Test
    void shouldWriteUnsignedDecimalDigitsForRedis() {
        byte[] buf = new byte[20];
        for (long v : new long[] {0, 7, 10, 1234567890123L, Long.MAX_VALUE, -1L, Long.MIN_VALUE}) {
            int n = RedisConn.unsignedDigits(v, buf);
            assertThat(new String(buf, 20 - n, n, java.nio.charset.StandardCharsets.US_ASCII))
                    .isEqualTo(Long.toUnsignedString(v));
        }
    }
}
