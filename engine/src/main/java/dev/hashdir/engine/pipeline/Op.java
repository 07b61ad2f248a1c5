package dev.hashdir.engine.pipeline;

/** What a {@link RequestEvent} asks the engine to do. */
public enum Op {

    /** Add one value: {@code key, value}; result {@code number} = added (0 or 1). */
    PUT(true),
    /** Add values: {@code key, values[0, valueCount)}; result {@code number} = newly added. */
    PUT_MANY(true),
    /** Remove one value: {@code key, value}; result {@code flag} = removed. */
    REMOVE(true),
    /** Remove a key: {@code key}; result {@code number} = values removed. */
    DELETE(true),
    /** One page of values: {@code key, hasAfter, after, limit}; result in {@link RequestEvent#values()}. */
    GET(false),
    /** {@code key, value}; result {@code flag} = found. */
    CONTAINS(false),
    /** {@code key}; result {@code number} = values held. */
    COUNT(false),
    /**
     * Keys after a cursor: the cursor key in {@code key} (none: from the first key), {@code limit}
     * (capped at {@link RequestEvent#SCAN_PAGE}); result in {@link RequestEvent#scanResult()}.
     */
    SCAN(false),
    /**
     * Forces the WAL in every durability mode: the reply comes once everything before it is
     * durable. The pipeline also sends it as a timer tick (ASYNC force interval, retries after a
     * WAL failure).
     */
    SYNC(false);

    private final boolean mutation;

    Op(boolean mutation) {
        this.mutation = mutation;
    }

    /** True for ops that change the directory (and are rejected while read-only). */
    public boolean isMutation() {
        return mutation;
    }
}
