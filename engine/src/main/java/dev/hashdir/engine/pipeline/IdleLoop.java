package dev.hashdir.engine.pipeline;

/**
 * Work the engine thread does instead of sleeping while it has no event
 * ({@link Pipeline#runWhileIdle}): a network event loop, Redis-style, which reads requests and
 * publishes them into the ring from the engine thread itself, so that a request reaches the engine
 * with no hand-off between threads.
 *
 * <p>Threading: {@link #poll} on the engine thread only; {@link #wake} from any thread.
 */
public interface IdleLoop {

    /**
     * Waits at most {@code maxNanos} for I/O (or until {@link #wake}), then handles what came; may
     * publish into the pipeline. Must not throw: a loop that fails handles it itself (and then
     * should wait out {@code maxNanos}, so that the engine does not spin).
     */
    void poll(long maxNanos);

    /** Makes a {@link #poll} in progress, or the next one, return soon. */
    void wake();
}
