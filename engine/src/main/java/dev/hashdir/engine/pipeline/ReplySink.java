package dev.hashdir.engine.pipeline;

/**
 * Receives finished requests: the zero-allocation way out of the pipeline (the server encodes the
 * reply straight from the event; {@link RequestEvent#token()} and {@link RequestEvent#attachment()}
 * say whom it is for).
 *
 * <p>Threading: called only on the reply thread, in ring order. The event is valid only during the
 * call (the ring reuses it afterwards): copy what is needed, keep no reference. An exception thrown
 * here is logged and counted; it does not stop the pipeline.
 */
@FunctionalInterface
public interface ReplySink {

    void onReply(RequestEvent event);

    /**
     * The reply thread's batch is done: called after the last {@link #onReply} of a batch whose
     * events had {@link RequestEvent#replyBatched()} set, so that a sink may gather its I/O (one
     * write per connection per batch) until then. A reply without that flag must not wait for it.
     */
    default void endOfBatch() {
    }
}
