package dev.hashdir.engine.pipeline;

import java.lang.System.Logger.Level;

/**
 * Hands answers to their sinks in batches, for the thread that owns it (the reply thread, or the
 * engine thread for its early answers): each event is marked {@link RequestEvent#replyBatched()},
 * and the sink of the replies so far gets {@link ReplySink#endOfBatch} when the next reply goes to
 * another sink, when {@code maxPending} replies wait, or when the owner {@link #flush}es (at the
 * end of its batch, or before it waits). A sink that throws is logged and counted; it does not
 * stop the pipeline.
 *
 * <p>Threading: one owner thread; the counters are readable from any thread.
 */
final class ReplyBatch {

    private static final System.Logger LOG = System.getLogger(ReplyBatch.class.getName());

    private final int maxPending;
    /** The sink of this batch's replies so far, owed an endOfBatch; null when none is. */
    private ReplySink pending;
    private int pendingReplies;
    private volatile long replies;
    private volatile long sinkErrors;

    /** @param maxPending most replies handed over before the sink gets its endOfBatch */
    ReplyBatch(int maxPending) {
        if (maxPending < 1) {
            throw new IllegalArgumentException("max pending must be positive: maxPending=" + maxPending);
        }
        this.maxPending = maxPending;
    }

    /** Hands {@code e} to its sink (which must not be null) as part of the batch. */
    void deliver(RequestEvent e) {
        ReplySink sink = e.sink;
        if (pending != null && pending != sink) {
            flush();
        }
        pending = sink;
        e.replyBatched = true;
        try {
            sink.onReply(e);
        } catch (RuntimeException ex) {
            sinkErrors++;
            LOG.log(Level.ERROR, "reply sink failed: event=" + e, ex);
        }
        replies++;
        if (++pendingReplies >= maxPending) {
            flush();
        }
    }

    /** Whether a sink is owed its endOfBatch. */
    boolean pending() {
        return pending != null;
    }

    /** Ends the batch for the sink owed it, if any. */
    void flush() {
        ReplySink s = pending;
        if (s == null) {
            return;
        }
        pending = null;
        pendingReplies = 0;
        try {
            s.endOfBatch();
        } catch (RuntimeException ex) {
            sinkErrors++;
            LOG.log(Level.ERROR, "reply sink failed at the end of a batch", ex);
        }
    }

    long replies() {
        return replies;
    }

    long sinkErrors() {
        return sinkErrors;
    }
}
