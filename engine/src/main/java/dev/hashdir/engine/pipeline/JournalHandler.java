package dev.hashdir.engine.pipeline;

import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.Cursored;
import dev.hashdir.engine.wal.WalIoException;
import dev.hashdir.engine.wal.WalWriter;

import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * Group commit: appends the records the engine encoded into the events to the {@link WalWriter}
 * and commits once per group, then acknowledges the LSNs ({@link PipelineState#acked}). A group
 * is one or more ring batches, at most {@link BatchController#maxBatch()} events:
 * <ul>
 *   <li>at the end of a ring batch it commits at once when the controller's wait is 0 (low
 *       load);</li>
 *   <li>otherwise, while the group is younger than the wait, it leaves the commit to a later
 *       batch if more events are already in the ring, or parks briefly for them to arrive; then
 *       it commits;</li>
 *   <li>a group with no new record (reads only) needs no commit;</li>
 *   <li>never between two events of one run ({@link Pipeline#tryPublishAll}: a protocol batch, a
 *       put split into several events): the run's records go to the WAL in one commit, which may
 *       make the group larger than the controller's maximum by up to the run's length.</li>
 * </ul>
 *
 * <p>A failed commit (e.g. disk full) acknowledges nothing: the writer keeps the records buffered,
 * the pipeline goes read-only ({@link PipelineState#walFailed}) and whoever waits for those LSNs
 * is answered read_only. Memory stays ahead of the WAL, but every applied change is still in the
 * writer's buffer, so memory and WAL remain one history. The journal retries: a SYNC request (also
 * the timer tick, every retry interval) always, a batch at most every {@code retryNanos}. Once a
 * commit succeeds the buffered records are durable after all (a client told read_only for one of
 * them sees its effect: like a timeout, read_only on a mutation means "not acknowledged", not
 * "not done") and the pipeline is writable again. A restart before that loses them, as recovery
 * replays only the WAL.
 *
 * <p>Threading: runs only on the journal thread, which owns the {@link WalWriter}; counters are
 * readable from any thread.
 */
final class JournalHandler implements EventHandler<RequestEvent> {

    private static final long LINGER_PARK_NANOS = 20_000;

    private final WalWriter wal;
    private final BatchController controller;
    private final PipelineState state;
    private final Cursored cursor;
    private final LongSupplier clock;
    private final LongSupplier cpuClock;
    private final long retryNanos;

    private int groupEvents;
    private long groupStart;
    private long lastRetry;
    private volatile long commits;
    private volatile long committedEvents;
    private volatile int lastBatch;
    private volatile long failedCommits;
    /** WAL segments wholly below this LSN may go (a durable checkpoint covers them); any thread sets it. */
    private volatile long trimBelow;
    private long trimmed;

    /**
     * @param clock    wall clock, nanoseconds
     * @param cpuClock this thread's CPU time, nanoseconds, or -1 when not measurable (the batch
     *                 controller waits only for CPU-bound commits)
     */
    JournalHandler(WalWriter wal, BatchController controller, PipelineState state, Cursored cursor,
                   LongSupplier clock, LongSupplier cpuClock, long retryNanos) {
        this.wal = wal;
        this.cpuClock = cpuClock;
        this.controller = controller;
        this.state = state;
        this.cursor = cursor;
        this.clock = clock;
        this.retryNanos = retryNanos;
    }

    @Override
    public void onEvent(RequestEvent e, long sequence, boolean endOfBatch) {
        if (groupEvents++ == 0) {
            groupStart = clock.getAsLong();
        }
        if (e.walType != null) {
            long lsn = wal.append(e.walType, e.walPayload(), 0, e.walLength);
            if (lsn != e.lsn) {
                throw new IllegalStateException("WAL LSN differs from the engine's: engine=" + e.lsn + ", wal=" + lsn);
            }
        }
        if (e.op == Op.SYNC) {
            sync();
            return;
        }
        if (e.continued) {
            return; // a run of events published together (tryPublishAll) is committed together, after its last
        }
        if (groupEvents >= controller.maxBatch() || endOfBatch && !deferred(sequence)) {
            commit(sequence);
        }
    }

    /** End of a ring batch: whether to leave the commit to a later batch (more events coming soon). */
    private boolean deferred(long sequence) {
        long wait = controller.waitNanos();
        if (wait == 0 || !unacked()) {
            return false;
        }
        long deadline = groupStart + wait;
        long now;
        while ((now = clock.getAsLong()) < deadline) {
            if (cursor.getCursor() > sequence) {
                return true;
            }
            LockSupport.parkNanos(Math.min(deadline - now, LINGER_PARK_NANOS));
        }
        return false;
    }

    /** True when records were appended that are not acknowledged. */
    private boolean unacked() {
        return wal.nextLsn() - 1 > state.ackedLsn();
    }

    private void commit(long sequence) {
        int events = groupEvents;
        groupEvents = 0;
        if (!unacked()) {
            return;
        }
        long start = clock.getAsLong();
        long cpuStart = cpuClock.getAsLong();
        if (state.walFailed() && start - lastRetry < retryNanos) {
            // do not hammer a full disk: the waiting answers fail now, the records stay buffered
            state.walFailed(wal.nextLsn() - 1, state.readOnlyReason());
            return;
        }
        try {
            state.acked(wal.commit());
        } catch (WalIoException ex) {
            failed(ex, start);
            return;
        }
        long end = clock.getAsLong();
        long cpuEnd = cpuClock.getAsLong();
        trim();
        controller.onCommit(end, events, end - start, cpuStart < 0 || cpuEnd < 0 ? -1 : cpuEnd - cpuStart,
                Math.max(0, cursor.getCursor() - sequence));
        lastBatch = events;
        committedEvents += events;
        commits++;
    }

    /**
     * Forces everything appended, in any mode (an explicit sync or a timer tick, which comes at
     * most every retry interval): also a retry after a failure, never held back.
     */
    private void sync() {
        groupEvents = 0;
        long start = clock.getAsLong();
        try {
            state.acked(wal.sync());
        } catch (WalIoException ex) {
            failed(ex, start);
            return;
        }
        trim();
    }

    /** Any thread: asks the journal to delete the WAL segments wholly below {@code lsn} after its next commit. */
    void trimBelow(long lsn) {
        if (lsn > trimBelow) {
            trimBelow = lsn;
        }
    }

    /** Deletes segments below the requested LSN, here because this thread owns the WAL writer. */
    private void trim() {
        long below = trimBelow;
        if (below <= trimmed) {
            return;
        }
        trimmed = below;
        try {
            wal.deleteSegmentsBelow(Math.min(below, wal.nextLsn()));
        } catch (RuntimeException ex) {
            // the segments stay; recovery skips records below the checkpoint anyway
            System.getLogger(JournalHandler.class.getName()).log(System.Logger.Level.WARNING,
                    "could not delete WAL segments below LSN " + below + ": " + ex);
        }
    }

    private void failed(WalIoException ex, long now) {
        lastRetry = now;
        failedCommits++;
        String reason = (ex.isDiskFull() ? "WAL disk full" : "WAL write failed")
                + "; writes applied in memory but not durable are retried, the store is read-only until they are: "
                + ex.getMessage();
        state.walFailed(wal.nextLsn() - 1, reason);
    }

    long commits() {
        return commits;
    }

    long committedEvents() {
        return committedEvents;
    }

    int lastBatch() {
        return lastBatch;
    }

    long failedCommits() {
        return failedCommits;
    }
}
