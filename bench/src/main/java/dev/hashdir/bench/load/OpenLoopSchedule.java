package dev.hashdir.bench.load;

/**
 * The open-loop plan: request {@code k} is due at {@code start + k * 1e9 / rate} nanoseconds, and
 * goes to connection {@code k mod connections}, whatever happened to the requests before it. When
 * the generator sends it late (a connection's window full, the generator descheduled), its latency
 * is still measured from that intended time: coordinated-omission correction by construction.
 * Pure arithmetic, no clock: tests drive it.
 */
final class OpenLoopSchedule {

    private final long start;
    private final double intervalNanos;
    private final int connections;

    OpenLoopSchedule(long start, double ratePerSec, int connections) {
        if (!(ratePerSec > 0) || connections < 1) {
            throw new IllegalArgumentException("rate and connections must be positive: rate=" + ratePerSec
                    + ", connections=" + connections);
        }
        this.start = start;
        this.intervalNanos = 1e9 / ratePerSec;
        this.connections = connections;
    }

    /** When request {@code k} is due. */
    long intended(long k) {
        return start + (long) (k * intervalNanos);
    }

    /** The connection request {@code k} goes to. */
    int connection(long k) {
        return (int) (k % connections);
    }

    /** How many requests are due by {@code now} (requests {@code 0..n-1}). */
    long dueBy(long now) {
        if (now < start) {
            return 0;
        }
        long n = (long) ((now - start) / intervalNanos) + 1;
        // the double division may land one off at an exact boundary: settle it with intended()
        while (n > 0 && intended(n - 1) > now) {
            n--;
        }
        while (intended(n) <= now) {
            n++;
        }
        return n;
    }
}
