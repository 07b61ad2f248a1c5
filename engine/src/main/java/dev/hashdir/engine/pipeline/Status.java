package dev.hashdir.engine.pipeline;

/** Outcome of a request; {@link #wireName()} is the protocol v1 {@code status} string. */
public enum Status {

    OK("ok"),
    BAD_REQUEST("bad_request"),
    /** The ring was full: nothing was done; the caller may retry. */
    BUSY("busy"),
    /** The pipeline does not accept requests (not started, or stopping). */
    NOT_READY("not_ready"),
    /**
     * A mutation was refused, or was not made durable, because the pipeline is read-only (WAL
     * failure, detected corruption); or a read depended on a write that is not durable.
     */
    READ_ONLY("read_only"),
    /** More values than an event holds. */
    TOO_LARGE("too_large"),
    /** A bug or unexpected failure; the pipeline went read-only. */
    INTERNAL("internal");

    private final String wireName;

    Status(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }
}
