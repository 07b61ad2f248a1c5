package dev.hashdir.engine.pipeline;

import com.lmax.disruptor.EventHandler;

import java.lang.System.Logger.Level;

/**
 * Releases answers in ring order, each once what it depends on is acknowledged: a mutation's own
 * record, or the newest record a read (or a no-op mutation) may have seen. An answer whose LSN a
 * failed commit left not durable goes out as read_only instead; a read that saw nothing
 * unacknowledged goes out at once. An event the engine thread already answered
 * ({@link PipelineConfig#earlyReads()}) is skipped.
 *
 * <p>Sinks may gather their I/O for a batch: each event is marked {@link RequestEvent#replyBatched()}
 * and the sink of a batch's replies gets {@link ReplySink#endOfBatch} at its end (or when the next
 * reply goes to another sink).
 *
 * <p>Threading: runs only on the reply thread; calls each event's {@link ReplySink} there.
 */
final class ReplyHandler implements EventHandler<RequestEvent> {

    private static final System.Logger LOG = System.getLogger(ReplyHandler.class.getName());

    private final PipelineState state;
    private volatile long replies;
    private volatile long sinkErrors;
    /** The sink of this batch's replies so far, owed an endOfBatch. */
    private ReplySink pending;

    ReplyHandler(PipelineState state) {
        this.state = state;
    }

    @Override
    public void onStart() {
        state.waitingThread(Thread.currentThread());
    }

    @Override
    public void onEvent(RequestEvent e, long sequence, boolean endOfBatch) {
        if (e.answered) { // the engine thread answered it early
            if (endOfBatch && pending != null) {
                endOfBatch();
            }
            return;
        }
        long required = e.requiredLsn();
        if (pending != null && required > state.ackedLsn()) {
            endOfBatch(); // the replies gathered so far go out before this one waits for its commit
        }
        if (e.status == Status.OK && required > 0 && !state.awaitAcked(required)) {
            e.result(Status.READ_ONLY, notDurable(e));
        }
        ReplySink sink = e.sink;
        if (sink != null) {
            if (pending != null && pending != sink) {
                endOfBatch();
            }
            pending = sink;
            e.replyBatched = true;
            if (!deliver(e)) {
                sinkErrors++;
            }
            replies++;
        }
        if (endOfBatch && pending != null) {
            endOfBatch();
        }
    }

    /**
     * Hands {@code e} to its sink (on the reply thread, or on the engine thread for an early
     * answer); a sink that throws is logged and does not stop the pipeline.
     *
     * @return false when the sink threw
     */
    static boolean deliver(RequestEvent e) {
        try {
            e.sink.onReply(e);
            return true;
        } catch (RuntimeException ex) {
            LOG.log(Level.ERROR, "reply sink failed: event=" + e, ex);
            return false;
        }
    }

    private void endOfBatch() {
        ReplySink s = pending;
        pending = null;
        try {
            s.endOfBatch();
        } catch (RuntimeException ex) {
            sinkErrors++;
            LOG.log(Level.ERROR, "reply sink failed at the end of a batch", ex);
        }
    }

    private String notDurable(RequestEvent e) {
        String reason = state.readOnlyReason();
        return e.lsn > 0 ? "not durable: " + reason : "depends on a write that is not durable: " + reason;
    }

    long replies() {
        return replies;
    }

    long sinkErrors() {
        return sinkErrors;
    }
}
