package dev.hashdir.engine.pipeline;

/**
 * Fills a claimed ring event from the producer's own request (e.g. straight from a decoder). Keep
 * instances stateless and reuse them: a filler per request would allocate.
 *
 * <p>Threading: called on the publishing thread, between claim and publish.
 */
@FunctionalInterface
public interface RequestFiller<A> {

    /** Fills {@code event} (already cleared) from {@code arg}. */
    void fill(RequestEvent event, A arg);
}
