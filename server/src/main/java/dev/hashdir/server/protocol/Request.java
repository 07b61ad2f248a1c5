package dev.hashdir.server.protocol;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * One decoded request, a reusable flyweight: {@link RequestDecoder} overwrites it on every
 * decode, copying what it needs out of the frame (the frame may be reused at once). Its buffers
 * are sized once (key, cursor) or grow to their limits and stay (values, batch ops), so decoding
 * into a warm Request allocates nothing.
 *
 * <p>After a decode that did not return {@link Status#OK}, only {@link #status()},
 * {@link #error()}, {@link #hasId()} / {@link #id()} and {@link #op()} (null unless it was read)
 * mean anything.
 *
 * <p>A batch's ops are Requests too ({@link #op(int)}); they share the batch's value storage and
 * have no version or id of their own.
 *
 * <p>Threading: not thread-safe; one owner at a time (the decoding thread, then whoever the
 * request is handed to).
 */
public final class Request {

    private static final int INITIAL_VALUES = 64;
    private static final HexFormat HEX = HexFormat.of();

    private final int keyBytes;
    /** The batch this is an op of, or null for a top-level request. */
    private final Request batch;
    private final byte[] key;
    private final byte[] cursor = new byte[Protocol.MAX_CURSOR_BYTES];
    /** Top level only: values of this request and of all its batch ops; null in a batch op. */
    private long[] valueStore;
    /** Top level only: batch ops, created when a batch first needs them, then reused. */
    private final Request[] ops;

    private Status status;
    private String error;
    private Op op;
    private int version;
    private boolean hasId;
    private long id;
    private boolean hasKey;
    private boolean hasValue;
    private long value;
    private boolean hasValues;
    private int valuesFrom;
    private int valueCount;
    /** Top level only: values stored so far, all ops counted. */
    private int valuesUsed;
    private boolean hasAfter;
    private long after;
    private boolean hasLimit;
    private int limit;
    private boolean hasCursor;
    private int cursorLength;
    private boolean hasOps;
    private int opCount;

    /** A request for a store whose keys are {@code keyBytes} long. */
    public Request(int keyBytes) {
        this(keyBytes, null);
    }

    private Request(int keyBytes, Request batch) {
        if (keyBytes < 1) {
            throw new IllegalArgumentException("key bytes must be positive: keyBytes=" + keyBytes);
        }
        this.keyBytes = keyBytes;
        this.batch = batch;
        this.key = new byte[keyBytes];
        this.valueStore = batch == null ? new long[INITIAL_VALUES] : null;
        this.ops = batch == null ? new Request[Protocol.MAX_BATCH_OPS] : null;
        clear();
    }

    /** Forgets everything; the state of a request before any field was read. */
    void clear() {
        status = Status.OK;
        error = null;
        op = null;
        version = Protocol.VERSION_WHEN_ABSENT;
        hasId = false;
        id = 0;
        hasKey = false;
        hasValue = false;
        value = 0;
        hasValues = false;
        valuesFrom = 0;
        valueCount = 0;
        valuesUsed = 0;
        hasAfter = false;
        after = 0;
        hasLimit = false;
        limit = Protocol.DEFAULT_LIMIT;
        hasCursor = false;
        cursorLength = 0;
        hasOps = false;
        opCount = 0;
    }

    // ---- outcome of the decode ----------------------------------------------------------------

    /** {@link Status#OK} when the request is valid, else the status to reply with. */
    public Status status() {
        return status;
    }

    /** What was wrong (which field, what was expected, what was found), or null when ok. */
    public String error() {
        return error;
    }

    void fail(Status status, String error) {
        this.status = status;
        this.error = error;
    }

    // ---- common fields ------------------------------------------------------------------------

    /** The operation; null only after a decode failed before {@code op} was read. */
    public Op op() {
        return op;
    }

    void op(Op op) {
        this.op = op;
    }

    /** The version the request was written for: {@code v}, or {@link Protocol#VERSION_WHEN_ABSENT}. */
    public int version() {
        return version;
    }

    void version(int version) {
        this.version = version;
    }

    /** Whether the request carried a readable {@code id}; a reply echoes it exactly when so. */
    public boolean hasId() {
        return hasId;
    }

    /** The client's id, 64 bits to be read unsigned; meaningful when {@link #hasId()}. */
    public long id() {
        return id;
    }

    void id(long id) {
        this.hasId = true;
        this.id = id;
    }

    /** Key length of the store (the length of every valid {@code key}). */
    public int keyBytes() {
        return keyBytes;
    }

    // ---- key ----------------------------------------------------------------------------------

    public boolean hasKey() {
        return hasKey;
    }

    /** The key: the whole array, exactly {@link #keyBytes()} long; meaningful when {@link #hasKey()}. */
    public byte[] key() {
        return key;
    }

    void key(byte[] src, int from) {
        System.arraycopy(src, from, key, 0, keyBytes);
        hasKey = true;
    }

    // ---- value / values -------------------------------------------------------------------------

    public boolean hasValue() {
        return hasValue;
    }

    /** The {@code value} field, 64 bits to be read unsigned. */
    public long value() {
        return value;
    }

    void value(long value) {
        this.hasValue = true;
        this.value = value;
    }

    /** Whether the request carried {@code values} (possibly empty). */
    public boolean hasValues() {
        return hasValues;
    }

    /** Elements of {@code values}. */
    public int valueCount() {
        return valueCount;
    }

    /** Value {@code i} of {@code values} (0 &lt;= i &lt; {@link #valueCount()}), unsigned. */
    public long value(int i) {
        if (i < 0 || i >= valueCount) {
            throw new IndexOutOfBoundsException("value index " + i + " out of 0.." + valueCount);
        }
        return valueArray()[valuesFrom + i];
    }

    /**
     * The array holding {@code values} from {@link #valuesOffset()} for {@link #valueCount()}
     * elements (shared with the other ops of a batch: read only that range).
     */
    public long[] valueArray() {
        return batch == null ? valueStore : batch.valueStore;
    }

    public int valuesOffset() {
        return valuesFrom;
    }

    /** Values stored so far by this request and, in a batch, by all its ops. */
    int valuesUsed() {
        return batch == null ? valuesUsed : batch.valuesUsed;
    }

    /**
     * Reserves room for {@code count} values (the caller checked the total against
     * {@link Protocol#MAX_VALUES}) and marks them as this request's {@code values}. Returns the
     * index of the first in {@link #valueArray()}.
     */
    int reserveValues(int count) {
        Request top = batch == null ? this : batch;
        int from = top.valuesUsed;
        int needed = from + count;
        if (needed > top.valueStore.length) {
            int grown = (int) Math.min(Protocol.MAX_VALUES, Math.max(needed, 2L * top.valueStore.length));
            top.valueStore = Arrays.copyOf(top.valueStore, grown);
        }
        top.valuesUsed = needed;
        hasValues = true;
        valuesFrom = from;
        valueCount = count;
        return from;
    }

    /** The values as a new array (convenience for tests and tools; allocates). */
    public long[] valuesToArray() {
        return Arrays.copyOfRange(valueArray(), valuesFrom, valuesFrom + valueCount);
    }

    // ---- get / scan paging --------------------------------------------------------------------

    public boolean hasAfter() {
        return hasAfter;
    }

    /** Only values strictly greater (unsigned) than this; meaningful when {@link #hasAfter()}. */
    public long after() {
        return after;
    }

    void after(long after) {
        this.hasAfter = true;
        this.after = after;
    }

    /** Whether the request carried {@code limit}. */
    public boolean hasLimit() {
        return hasLimit;
    }

    /**
     * Most values (get) or keys (scan) to return: the request's {@code limit} capped at
     * {@link Protocol#MAX_LIMIT}, or {@link Protocol#DEFAULT_LIMIT} when it had none.
     */
    public int limit() {
        return limit;
    }

    void limit(long requested) {
        this.hasLimit = true;
        this.limit = Long.compareUnsigned(requested, Protocol.MAX_LIMIT) > 0 ? Protocol.MAX_LIMIT : (int) requested;
    }

    public boolean hasCursor() {
        return hasCursor;
    }

    /** The cursor bytes: the first {@link #cursorLength()} bytes of this array. */
    public byte[] cursor() {
        return cursor;
    }

    public int cursorLength() {
        return cursorLength;
    }

    void cursor(byte[] src, int from, int length) {
        System.arraycopy(src, from, cursor, 0, length);
        hasCursor = true;
        cursorLength = length;
    }

    // ---- batch --------------------------------------------------------------------------------

    /** Whether the request carried {@code ops} (possibly empty). */
    public boolean hasOps() {
        return hasOps;
    }

    /** Marks {@code ops} as given, with no ops yet. */
    void startOps() {
        hasOps = true;
        opCount = 0;
    }

    /** Ops of a batch (0 for other ops). */
    public int opCount() {
        return opCount;
    }

    /** Op {@code i} of a batch (0 &lt;= i &lt; {@link #opCount()}). */
    public Request op(int i) {
        if (i < 0 || i >= opCount) {
            throw new IndexOutOfBoundsException("batch op index " + i + " out of 0.." + opCount);
        }
        return ops[i];
    }

    /** Whether this is an op inside a batch. */
    public boolean inBatch() {
        return batch != null;
    }

    /** Clears and returns batch op {@code i}, creating it the first time a batch is that long. */
    Request startOp(int i) {
        Request sub = ops[i];
        if (sub == null) {
            sub = new Request(keyBytes, this);
            ops[i] = sub;
        }
        sub.clear();
        opCount = i + 1;
        return sub;
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("Request[");
        s.append(op == null ? "?" : op.wireName());
        if (status != Status.OK) {
            s.append(", status=").append(status.wireName()).append(", error=").append(error);
        }
        if (hasId) {
            s.append(", id=").append(Long.toUnsignedString(id));
        }
        if (hasKey) {
            s.append(", key=").append(HEX.formatHex(key));
        }
        if (hasValue) {
            s.append(", value=").append(Long.toUnsignedString(value));
        }
        if (hasValues) {
            s.append(", values=").append(valueCount);
        }
        if (hasAfter) {
            s.append(", after=").append(Long.toUnsignedString(after));
        }
        if (hasLimit) {
            s.append(", limit=").append(limit);
        }
        if (hasCursor) {
            s.append(", cursor=").append(HEX.formatHex(cursor, 0, cursorLength));
        }
        if (op == Op.BATCH) {
            s.append(", ops=").append(opCount);
        }
        return s.append(']').toString();
    }

}
