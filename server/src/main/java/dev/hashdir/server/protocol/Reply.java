package dev.hashdir.server.protocol;

import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/**
 * One reply before encoding, a reusable flyweight: {@link #answer(Request)} starts it for a
 * decoded request (op, id, and the decode's status), the pipeline fills in the op's results,
 * {@link ReplyEncoder} writes it. Setting results allocates nothing: {@code values},
 * {@code keys} and {@code cursor} refer to the caller's arrays, which are read when the reply is
 * encoded and must not change before.
 *
 * <p>Which fields are encoded follows the op (docs/protocol.md): put {@code added}; get
 * {@code values count more}; contains {@code found}; count {@code count}; remove {@code removed}
 * (bool); delete {@code removed} (count); scan {@code keys cursor}; batch {@code results}; stats
 * {@code stats}; ping nothing. A reply whose status is not ok carries {@code error} instead.
 *
 * <p>A batch's results are Replies too ({@link #result(int)}), created the first time a batch
 * that long is answered, then reused. They carry no version or id.
 *
 * <p>Threading: not thread-safe; one owner at a time.
 */
public final class Reply {

    /** The batch this is a result of, or null for a top-level reply. */
    private final Reply batch;
    /** Top level only: batch results (grown to the largest batch answered, then kept); null in a result. */
    private Reply[] results;

    private Op op;
    private Status status;
    private String error;
    private boolean hasId;
    private long id;
    private long added;
    private boolean found;
    private boolean removed;
    private long removedCount;
    private long count;
    private boolean more;
    private long[] values;
    private int valuesFrom;
    private int valueCount;
    private byte[] keys;
    private int keysFrom;
    private int keyCount;
    private int keyLength;
    private byte[] cursor;
    private int cursorFrom;
    private int cursorLength;
    private int resultCount;
    private Map<String, ? extends Number> stats;

    private static final Reply[] NO_RESULTS = new Reply[0];

    public Reply() {
        this(null);
    }

    private Reply(Reply batch) {
        this.batch = batch;
        this.results = batch == null ? NO_RESULTS : null;
        reset();
    }

    /** Forgets everything: no op, status ok, no id, no results. */
    public Reply reset() {
        op = null;
        status = Status.OK;
        error = null;
        hasId = false;
        id = 0;
        added = 0;
        found = false;
        removed = false;
        removedCount = 0;
        count = 0;
        more = false;
        values = null;
        valuesFrom = 0;
        valueCount = 0;
        keys = null;
        keysFrom = 0;
        keyCount = 0;
        keyLength = 0;
        cursor = null;
        cursorFrom = 0;
        cursorLength = 0;
        resultCount = 0;
        stats = null;
        return this;
    }

    /**
     * Starts the reply to a decoded request: its op, its id when it had one, and the decode's
     * status and error. For a valid batch, one result per op is started the same way.
     */
    public Reply answer(Request request) {
        reset();
        op = request.op();
        if (request.hasId()) {
            id(request.id());
        }
        if (request.status() != Status.OK) {
            return fail(request.status(), request.error());
        }
        if (op == Op.BATCH) {
            results(request.opCount());
            for (int i = 0; i < resultCount; i++) {
                results[i].answer(request.op(i));
            }
        }
        return this;
    }

    /** Starts a successful reply to {@code op} (no id): for callers without a Request. */
    public Reply ok(Op op) {
        reset();
        this.op = Objects.requireNonNull(op, "op");
        return this;
    }

    /** The reply reports a failure: {@code status} (not ok) and what went wrong. */
    public Reply fail(Status status, String error) {
        if (status == null || status == Status.OK) {
            throw new IllegalArgumentException("a failure needs a status other than ok: status=" + status);
        }
        this.status = status;
        this.error = Objects.requireNonNull(error, "error");
        return this;
    }

    /** Echo this id (a top-level reply only; a batch result carries none). */
    public Reply id(long id) {
        if (batch != null) {
            throw new IllegalStateException("a batch result carries no id");
        }
        this.hasId = true;
        this.id = id;
        return this;
    }

    // ---- results by op ----------------------------------------------------------------------------

    /** put: values newly added. */
    public Reply added(long added) {
        this.added = added;
        return this;
    }

    /** contains: whether the key holds the value. */
    public Reply found(boolean found) {
        this.found = found;
        return this;
    }

    /** remove: whether the value was there. */
    public Reply removed(boolean removed) {
        this.removed = removed;
        return this;
    }

    /** delete: values removed with the key. */
    public Reply removedCount(long removedCount) {
        this.removedCount = removedCount;
        return this;
    }

    /** count: values the key holds. */
    public Reply count(long count) {
        this.count = count;
        return this;
    }

    /**
     * get: {@code values[from, from + n)} (ascending unsigned, read at encode time), the key's
     * total count, and whether values after the last one exist.
     */
    public Reply values(long[] values, int from, int n, long total, boolean more) {
        Objects.checkFromIndexSize(from, n, values.length);
        this.values = values;
        this.valuesFrom = from;
        this.valueCount = n;
        this.count = total;
        this.more = more;
        return this;
    }

    /**
     * scan: {@code n} keys of {@code keyLength} bytes each from {@code keys[from]} (read at encode
     * time), and the cursor to continue from: {@code cursor[cursorFrom, cursorFrom + cursorLength)},
     * or null when the scan is complete.
     */
    public Reply keys(byte[] keys, int from, int n, int keyLength, byte[] cursor, int cursorFrom, int cursorLength) {
        if (n < 0 || keyLength <= 0 || from < 0 || from + (long) n * keyLength > keys.length) {
            throw new IndexOutOfBoundsException("keys out of their array: from=" + from + ", n=" + n + ", keyLength="
                    + keyLength + ", array length=" + keys.length);
        }
        if (cursor != null) {
            Objects.checkFromIndexSize(cursorFrom, cursorLength, cursor.length);
        }
        this.keys = keys;
        this.keysFrom = from;
        this.keyCount = n;
        this.keyLength = keyLength;
        this.cursor = cursor;
        this.cursorFrom = cursorFrom;
        this.cursorLength = cursorLength;
        return this;
    }

    /** batch: {@code n} results, each reset; fill them through {@link #result(int)}. */
    public Reply results(int n) {
        if (batch != null) {
            throw new IllegalStateException("a batch result cannot hold results");
        }
        Objects.checkIndex(n, Protocol.MAX_BATCH_OPS + 1);
        if (results.length < n) { // a pool of replies must not hold MAX_BATCH_OPS slots each before any batch came
            results = Arrays.copyOf(results, Math.min(Protocol.MAX_BATCH_OPS, Math.max(n, 2 * results.length)));
        }
        for (int i = 0; i < n; i++) {
            if (results[i] == null) {
                results[i] = new Reply(this);
            }
            results[i].reset();
        }
        resultCount = n;
        return this;
    }

    /** Result {@code i} of a batch. */
    public Reply result(int i) {
        Objects.checkIndex(i, resultCount);
        return results[i];
    }

    /** stats: counters by name (integers or floating point); read at encode time. */
    public Reply stats(Map<String, ? extends Number> stats) {
        this.stats = Objects.requireNonNull(stats, "stats");
        return this;
    }

    // ---- read by the encoder -----------------------------------------------------------------------

    public Op op() {
        return op;
    }

    public Status status() {
        return status;
    }

    public String error() {
        return error;
    }

    public boolean hasId() {
        return hasId;
    }

    public long id() {
        return id;
    }

    public boolean isBatchResult() {
        return batch != null;
    }

    long added() {
        return added;
    }

    boolean found() {
        return found;
    }

    boolean removed() {
        return removed;
    }

    long removedCount() {
        return removedCount;
    }

    long count() {
        return count;
    }

    boolean more() {
        return more;
    }

    long[] valueArray() {
        return values;
    }

    int valuesFrom() {
        return valuesFrom;
    }

    int valueCount() {
        return valueCount;
    }

    byte[] keyArray() {
        return keys;
    }

    int keysFrom() {
        return keysFrom;
    }

    int keyCount() {
        return keyCount;
    }

    int keyLength() {
        return keyLength;
    }

    byte[] cursorArray() {
        return cursor;
    }

    int cursorFrom() {
        return cursorFrom;
    }

    int cursorLength() {
        return cursorLength;
    }

    int resultCount() {
        return resultCount;
    }

    Map<String, ? extends Number> statsMap() {
        return stats;
    }
}
