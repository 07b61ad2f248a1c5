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
 * <p>A commit on the engine thread ({@link #idleThrough}, {@link #commitInline}): when this thread
 * has nothing to do, the engine thread may append and commit a small batch itself and answer it,
 * sparing the request two thread wake-ups (see {@link EngineHandler}). The events it committed are
 * marked {@code journaled} and answered; this thread passes answered events without touching the
 * WAL, and is not woken for them.
 *
 * <p>Threading: runs on the journal thread, which owns the {@link WalWriter}; the engine thread
 * borrows it (and this handler's group state and controller) for a commit only while this thread
 * has no work: everything the engine handed it processed, no group open ({@link #settled},
 * volatile, written after that work), and nothing more handed to it until the engine's batch
 * ends (it hands over by advancing its ring sequence, which orders the engine's writes before
 * this thread's next reads). Counters are readable from any thread.
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
    private volatile long inlineCommits;
    /** WAL segments wholly below this LSN may go (a durable checkpoint covers them); any thread sets it. */
    private volatile long trimBelow;
    private long trimmed;
    /** An event of the running batch is not answered yet: the reply thread has work. */
    private boolean replyWork;
    /** Every event of the last batch was answered already (read by the Signalling wrapper right after it). */
    private boolean quietBatch;
    /**
     * The end of the last batch after which this thread had no group open: every event up to it
     * is processed and committed (or failed); {@link Long#MIN_VALUE} while a group is open.
     */
    private volatile long settled = -1;

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
        replyWork |= !e.answered;
        handle(e, sequence, endOfBatch);
        if (endOfBatch) {
            quietBatch = !replyWork;
            replyWork = false;
            settled = groupEvents == 0 ? sequence : Long.MIN_VALUE;
        }
    }

    private void handle(RequestEvent e, long sequence, boolean endOfBatch) {
        if (e.answered) {
            // nothing for the WAL: answered early (no record), or committed by the engine thread
            // ({@link #commitInline}); not an arrival of a group either. A group opened before
            // may end here. With no group open, passing these touches nothing the engine thread
            // may be using meanwhile (see idleThrough).
            if (endOfBatch && groupEvents > 0 && !deferred(sequence)) {
                commit(sequence);
            }
            return;
        }
        if (groupEvents++ == 0) {
            groupStart = clock.getAsLong();
        }
        append(e);
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
        commit(sequence, events);
    }

    /** Commits a group of {@code events} ending at {@code sequence}; touches no group state (see {@link #commitInline}). */
    private void commit(long sequence, int events) {
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

    /**
     * Engine thread: whether this thread has nothing to do with the WAL until the engine hands it
     * more: it has processed every event up to {@code work} (the last the engine handed it
     * unanswered) and ended a batch after it with no group open ({@link #settled}), nothing
     * appended is unacknowledged, no failure is pending or fatal, and commits are quick (on average at most
     * {@link PipelineConfig#INLINE_MAX_COMMIT_NANOS}). What it may still pass meanwhile is answered events only,
     * which touch no shared state with no group open. Then the engine thread may call
     * {@link #commitInline} for the batch it is in.
     */
    boolean idleThrough(long work) {
        // fatal: a handler threw (the engine's too, which may have left its record of the work handed over behind)
        return settled >= work && !state.walFailed() && !state.fatal() && !unacked()
                && controller.commitNanos() <= PipelineConfig.INLINE_MAX_COMMIT_NANOS;
    }

    /**
     * Engine thread, only after {@link #idleThrough} said yes in the same batch: commits what the
     * engine appended ({@link #append}) as one group of {@code events} ending at {@code sequence},
     * as {@link #onEvent} would: acknowledged, or failed (read-only, retried later) on an I/O error.
     * It leaves the group state ({@code groupEvents}, {@code groupStart}) alone: this thread may
     * read it meanwhile, passing answered events.
     */
    void commitInline(long sequence, int events) {
        // not through groupEvents: this thread may read it meanwhile, passing answered events
        if (unacked()) {
            inlineCommits++;
        }
        commit(sequence, events);
    }

    /** Engine thread, as for {@link #commitInline}: appends an event's record, checking its LSN. */
    void append(RequestEvent e) {
        if (e.walType != null) {
            long lsn = wal.append(e.walType, e.walPayload(), 0, e.walLength);
            if (lsn != e.lsn) {
                throw new IllegalStateException("WAL LSN differs from the engine's: engine=" + e.lsn + ", wal=" + lsn);
            }
        }
    }

    /**
     * Journal thread, right after a batch: whether every event of it was answered already (early
     * reads, commits on the engine thread), so the reply thread need not be woken for it.
     */
    boolean quietBatch() {
        return quietBatch;
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

    /** Commits the engine thread made ({@link #commitInline}), failed ones included. */
    long inlineCommits() {
        return inlineCommits;
    }
}
