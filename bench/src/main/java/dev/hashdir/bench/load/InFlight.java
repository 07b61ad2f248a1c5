package dev.hashdir.bench.load;

import org.HdrHistogram.Histogram;

/**
 * The requests in flight on one connection, by id: when each was meant to start. Replies may come
 * in any order (hashdir) or in order (Redis). Latency recorded = reply time - start, where start is
 * the intended send time in open loop (so a late send still counts its delay) and the actual send
 * time in closed loop (where a request is, by design, sent when the previous one returns).
 * Only requests whose start falls in the measuring window are recorded.
 */
final class InFlight {

    private final long[] start;
    private final boolean[] busy;
    private final int mask;
    private int count;

    InFlight(int capacity) {
        int cap = capacity <= 2 ? 2 : Integer.highestOneBit(capacity - 1) << 1; // the least power of two >= capacity
        start = new long[cap];
        busy = new boolean[cap];
        mask = cap - 1;
    }

    /** True when id's slot is free (ids wrap around the table). */
    boolean canSend(long id) {
        return !busy[(int) (id & mask)];
    }

    void sent(long id, long startNanos) {
        int s = (int) (id & mask);
        if (busy[s]) {
            throw new IllegalStateException("slot of id " + id + " is in use");
        }
        busy[s] = true;
        start[s] = startNanos;
        count++;
    }

    /**
     * A reply for {@code id} came at {@code now}: records now - start in {@code h} when start lies in
     * {@code [from, to)}; returns the start.
     */
    long replied(long id, long now, Histogram h, long from, long to) {
        int s = (int) (id & mask);
        if (!busy[s]) {
            throw new IllegalStateException("reply for id " + id + " that is not in flight");
        }
        busy[s] = false;
        count--;
        long t = start[s];
        if (t >= from && t < to) {
            h.recordValue(Math.max(0, now - t));
        }
        return t;
    }

    int count() {
        return count;
    }
}
