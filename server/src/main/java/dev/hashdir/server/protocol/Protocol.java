package dev.hashdir.server.protocol;

/**
 * Constants of protocol v1: version, default endpoint, field names and limits. docs/protocol.md
 * is the normative text; every value here appears there.
 *
 * <p>Op names live in {@link Op}, status names in {@link Status}.
 */
public final class Protocol {

    /** The protocol version this server speaks, and the highest it supports. */
    public static final int VERSION = 1;

    /**
     * The version a request without {@code v} (or with {@code v: nil}) is read as. Fixed for good:
     * later versions must keep reading a request without {@code v} as version 1.
     */
    public static final int VERSION_WHEN_ABSENT = 1;

    /** Where the ROUTER socket binds unless configured otherwise (loopback only). */
    public static final String DEFAULT_ENDPOINT = "tcp://127.0.0.1:5555";

    // ---- request fields ---------------------------------------------------------------------

    /** Request and reply: protocol version (uint). */
    public static final String V = "v";
    /** Request and reply: the client's request id (uint64), echoed in the reply. */
    public static final String ID = "id";
    /** Request: the operation (str, an {@link Op} name). */
    public static final String OP = "op";
    /** Request: the key (bin of exactly the store's key bytes). */
    public static final String KEY = "key";
    /** Request: one value (uint64). */
    public static final String VALUE = "value";
    /** Request: values (array of uint64); reply of get: values (array of uint64, ascending). */
    public static final String VALUES = "values";
    /** Request of get: only values strictly greater (unsigned) than this (uint64). */
    public static final String AFTER = "after";
    /** Request of get and scan: most values or keys to return (uint). */
    public static final String LIMIT = "limit";
    /** Request of scan: where to continue (bin, as returned); reply of scan: next cursor (bin or nil). */
    public static final String CURSOR = "cursor";
    /** Request of batch: the ops (array of maps). */
    public static final String OPS = "ops";

    // ---- reply fields -----------------------------------------------------------------------

    /** Reply: the status (str, a {@link Status} name). */
    public static final String STATUS = "status";
    /** Reply: what was wrong (str), present exactly when the status is not ok. */
    public static final String ERROR = "error";
    /** Reply of put: values newly added (uint). */
    public static final String ADDED = "added";
    /** Reply of get and count: values the key holds in all (uint). */
    public static final String COUNT = "count";
    /** Reply of get: whether values after the last one returned exist (bool). */
    public static final String MORE = "more";
    /** Reply of contains: whether the key holds the value (bool). */
    public static final String FOUND = "found";
    /** Reply of remove: whether the value was there (bool); of delete: values removed (uint). */
    public static final String REMOVED = "removed";
    /** Reply of scan: keys (array of bin). */
    public static final String KEYS = "keys";
    /** Reply of batch: one result map per op, in order (array of maps). */
    public static final String RESULTS = "results";
    /** Reply of stats: counters (map of str to number). */
    public static final String STATS = "stats";

    // ---- limits -----------------------------------------------------------------------------

    /** Largest request frame in bytes; a larger one is {@code too_large}. */
    public static final int MAX_MESSAGE_BYTES = 1 << 20;

    /**
     * Most values one request carries, all {@code values} arrays of a batch counted together; more
     * is {@code too_large}. 65,536 uint64 take at most 589,824 bytes, under the message limit.
     */
    public static final int MAX_VALUES = 65_536;

    /** Most ops in one batch; more is {@code too_large}. */
    public static final int MAX_BATCH_OPS = 1_024;

    /** Largest {@code limit} of get and scan; a larger one is read as this (replies say {@code more}). */
    public static final int MAX_LIMIT = 10_000;

    /** The {@code limit} of get and scan when the request has none. */
    public static final int DEFAULT_LIMIT = 1_000;

    /** Longest {@code cursor} in bytes; a longer one was never issued and is {@code bad_request}. */
    public static final int MAX_CURSOR_BYTES = 128;

    /**
     * Deepest nesting of maps and arrays in a request, the request map itself being level 1
     * (a batch op's {@code values} is level 4). Deeper is {@code bad_request}; it bounds the work
     * of skipping unknown fields, which needs no recursion and no allocation either way.
     */
    public static final int MAX_NESTING = 32;

    private Protocol() {
    }
}
