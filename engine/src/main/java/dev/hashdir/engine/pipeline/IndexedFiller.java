package dev.hashdir.engine.pipeline;

/**
 * Fills one of several ring events claimed together ({@link Pipeline#tryPublishAll}). Keep
 * instances stateless and reuse them.
 *
 * <p>Threading: called on the publishing thread, between claim and publish.
 */
@FunctionalInterface
public interface IndexedFiller<A> {

    /** Fills {@code event} (already cleared), the {@code index}-th of the group, from {@code arg}. */
    void fill(RequestEvent event, int index, A arg);
}
