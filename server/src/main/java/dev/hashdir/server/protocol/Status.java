package dev.hashdir.server.protocol;

/** Reply statuses of protocol v1, each with its wire name (the {@code status} string). */
public enum Status {
    /** The op was done; what the reply reports is durable. */
    OK("ok"),
    /** The request is malformed or invalid; nothing was changed. The reply says what was wrong. */
    BAD_REQUEST("bad_request"),
    /** The request's {@code v} is above {@link Protocol#VERSION}; the reply's {@code v} is the highest supported. */
    UNSUPPORTED_VERSION("unsupported_version"),
    /** The server is overloaded and did not take the request; nothing was changed; retry later. */
    BUSY("busy"),
    /** The server is still recovering (or draining); nothing was changed; retry later. */
    NOT_READY("not_ready"),
    /** A write while the store is read-only (disk full, detected corruption); nothing was changed. */
    READ_ONLY("read_only"),
    /** The frame, a {@code values} array or a batch is over its limit; nothing was changed. */
    TOO_LARGE("too_large"),
    /** The server failed on this request; the reply says how. */
    INTERNAL("internal");

    private static final Status[] ALL = values();

    private final String wireName;

    Status(String wireName) {
        this.wireName = wireName;
    }

    /** The name on the wire, as in {@code {"status": "ok"}}. */
    public String wireName() {
        return wireName;
    }

    /** The status with this wire name, or null. */
    public static Status byWireName(String name) {
        for (Status s : ALL) {
            if (s.wireName.equals(name)) {
                return s;
            }
        }
        return null;
    }
}
