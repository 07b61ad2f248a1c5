package dev.hashdir.engine.pipeline;

/**
 * Receives finished requests: the zero-allocation way out of the pipeline (the server encodes the
 * reply straight from the event; {@link RequestEvent#token()} and {@link RequestEvent#attachment()}
 * say whom it is for).
 *
 * <p>Threading: called on the reply thread, and on the engine thread for an answer that depends
 * on nothing unacknowledged (a read answered early, {@link PipelineConfig#earlyReads()}). The two
 * threads may call a sink at the same time, for different events, so a sink shared by several
 * requests must be thread-safe; and events may complete out of ring order (an early read
 * overtakes the writes published before it). Each event is handed to its sink exactly once. The
 * events of one run ({@link Pipeline#tryPublishAll} with two or more events) are all handed over on
 * the reply thread, in ring order, so per-request state assembled from a run's events needs no
 * locking. The event is valid only during the call (the ring reuses it afterwards): copy what is
 * needed, keep no reference. An exception thrown here is logged and counted; it does not stop the
 * pipeline. A sink must not block: on the engine thread it would hold up every request.
 */
@FunctionalInterface
public interface ReplySink {

    void onReply(RequestEvent event);

    /**
     * A batch of replies is done: called, on the thread that made the calls (the reply thread, or
     * the engine thread for early answers), after the last {@link #onReply} of a batch whose events
     * had {@link RequestEvent#replyBatched()} set, so that a sink may gather its I/O (one write per
     * connection per batch) until then. Both threads may have a batch open at once. A reply without
     * that flag must not wait for it.
     */
    default void endOfBatch() {
    }
}
