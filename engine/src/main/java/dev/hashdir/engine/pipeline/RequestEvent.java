package dev.hashdir.engine.pipeline;

import dev.hashdir.engine.GetResult;
import dev.hashdir.engine.ScanResult;
import dev.hashdir.engine.wal.WalRecordLayout;
import dev.hashdir.engine.wal.WalRecordType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * One preallocated slot of the request ring: the request, its result and its WAL record, reused
 * for every request that passes through the slot (nothing is allocated per request).
 *
 * <pre>
 *   part     field                 written by   meaning
 *   -------- --------------------- ------------ ---------------------------------------------
 *   request  op                    producer     what to do ({@link Op})
 *            key                   producer     keyBytes bytes, stored where the WAL payload
 *                                               begins (so the record needs no key copy)
 *            value                 producer     PUT, REMOVE, CONTAINS
 *            values[0, valueCount) producer     PUT_MANY (at most maxValues)
 *            hasAfter, after,      producer     GET page: values after {@code after}, at most
 *            limit                              {@code limit} (capped at maxGetValues)
 *            sink, token,          producer     where the reply goes, and for whom
 *            attachment
 *            continued             pipeline     more events of the same run follow (tryPublishAll)
 *            inRun                 pipeline     part of a run of two or more (never answered early)
 *   result   status, error         engine,      {@link Status}; error text when not OK
 *                                  journal
 *            number                engine       PUT/PUT_MANY added, DELETE removed, COUNT
 *            flag                  engine       REMOVE removed, CONTAINS found
 *            values()              engine       GET page, total, more
 *   WAL      walType, walPayload   engine       the record of an applied mutation (null type:
 *            [0, walLength)                     no record: a read, a no-op, a rejection)
 *            lsn                   engine       the record's LSN (0: none)
 *            dependsLsn            engine       the newest LSN whose effect this answer may
 *                                               reveal: the reply waits until it is durable
 *            answered              engine       answered early by the engine thread: the reply
 *                                               thread skips it
 *            journaled             engine       committed by the engine thread (a commit of its
 *                                               own while the journal was idle): the journal
 *                                               skips it
 * </pre>
 *
 * <p>Threading: filled by one producer between claim and publish, then owned by each handler in
 * turn (engine, journal, reply); the ring's sequences order the hand-offs. A read answered early
 * is handed to its sink on the engine thread; the journal and reply threads still pass the event
 * (the slot is reused only after the reply thread), but read only {@code answered} and the WAL
 * fields, which the sink does not touch. The payload memory is
 * shared-arena memory, readable from every pipeline thread.
 */
public final class RequestEvent {

    /** Most keys one SCAN event returns (the protocol lets a scan page be shorter than its limit). */
    public static final int SCAN_PAGE = 256;

    private final int keyBytes;
    private final MemorySegment walPayload;
    private final MemorySegment key;
    /** Most values a PUT_MANY event takes, and most a GET page returns. */
    private final int maxValues;
    private final int maxGetValues;
    /**
     * The PUT_MANY values and the GET page: grown to the largest request this slot has seen (up to
     * the maxima), then kept. A ring of full-size arrays (16 KiB an event) was 64 MiB of live heap
     * that the first young collections under load copied, in pauses of 200 ms and more.
     */
    private long[] values;
    private GetResult get;
    /** Made on the engine thread by the first SCAN through this slot, then reused. */
    private ScanResult scan;

    // request
    Op op;
    long value;
    int valueCount;
    boolean keyOk;
    boolean tooMany;
    boolean hasAfter;
    long after;
    int limit;
    ReplySink sink;
    long token;
    Object attachment;
    /** Set by {@link Pipeline#tryPublishAll} on every event of a run but the last: the journal commits after the run. */
    boolean continued;
    /** Set by {@link Pipeline#tryPublishAll} on every event of a run of two or more: answered in ring order. */
    boolean inRun;
    /** Set by the engine when it handed the answer to the sink itself (an early read): the reply thread skips it. */
    boolean answered;
    /** Its record was appended and committed by the engine thread ({@link JournalHandler#commitInline}): the journal passes it. */
    boolean journaled;
    /** Set by the reply handler before its sink call: {@link ReplySink#endOfBatch} follows. */
    boolean replyBatched;

    // result
    Status status;
    String error;
    long number;
    boolean flag;

    // WAL
    WalRecordType walType;
    int walLength;
    long lsn;
    long dependsLsn;
    /** Set by the journal when the record (or what the answer depends on) could not be made durable. */
    boolean failed;

    RequestEvent(int keyBytes, int maxValues, int maxGetValues, MemorySegment walPayload) {
        this.keyBytes = keyBytes;
        this.walPayload = walPayload;
        this.key = walPayload.asSlice(WalRecordLayout.KEY_OFFSET, keyBytes);
        this.maxValues = maxValues;
        this.maxGetValues = maxGetValues;
        this.values = new long[Math.min(maxValues, INITIAL_VALUES)];
        this.get = new GetResult(Math.min(maxGetValues, INITIAL_VALUES));
    }

    /** Values an event's arrays hold until a larger request comes through its slot. */
    static final int INITIAL_VALUES = 16;

    /** Bytes of payload memory one event needs for {@code maxValues} values. */
    static long payloadBytes(int keyBytes, int maxValues) {
        return WalRecordLayout.payloadBytes(WalRecordType.PUT_MANY, keyBytes, maxValues);
    }

    /** Clears the previous request and result; the pipeline calls it before a producer fills the event. */
    void clear() {
        op = null;
        value = 0;
        valueCount = 0;
        keyOk = false;
        tooMany = false;
        hasAfter = false;
        after = 0;
        limit = maxGetValues;
        sink = null;
        token = 0;
        attachment = null;
        continued = false;
        inRun = false;
        answered = false;
        journaled = false;
        replyBatched = false;
        status = null;
        error = null;
        number = 0;
        flag = false;
        walType = null;
        walLength = 0;
        lsn = 0;
        dependsLsn = 0;
        failed = false;
    }

    // ---- filling a request (producer) -------------------------------------------------------

    /** Sets the operation. */
    public RequestEvent op(Op op) {
        this.op = op;
        return this;
    }

    /** Copies the key; a key that is not keyBytes long is answered {@code bad_request}. */
    public RequestEvent key(byte[] k) {
        keyOk = k != null && k.length == keyBytes;
        if (keyOk) {
            MemorySegment.copy(k, 0, key, ValueLayout.JAVA_BYTE, 0, keyBytes);
        }
        return this;
    }

    /** Copies {@code length} key bytes from {@code src} at {@code offset} (e.g. a decoder's buffer). */
    public RequestEvent key(MemorySegment src, long offset, long length) {
        keyOk = length == keyBytes;
        if (keyOk) {
            MemorySegment.copy(src, offset, key, 0, keyBytes);
        }
        return this;
    }

    public RequestEvent value(long v) {
        this.value = v;
        return this;
    }

    /** Copies {@code count} values; more than the event holds is answered {@code too_large}. */
    public RequestEvent values(long[] src, int from, int count) {
        tooMany = count > maxValues;
        valueCount = tooMany ? 0 : count;
        if (!tooMany) {
            ensureValues(count);
            System.arraycopy(src, from, values, 0, count);
        }
        return this;
    }

    /** Adds one value to the list (for decoders that read values one by one). */
    public RequestEvent addValue(long v) {
        if (valueCount == maxValues) {
            tooMany = true;
        } else {
            ensureValues(valueCount + 1);
            values[valueCount++] = v;
        }
        return this;
    }

    private void ensureValues(int n) {
        if (values.length < n) {
            values = Arrays.copyOf(values, Math.min(maxValues, Math.max(n, 2 * values.length)));
        }
    }

    /** GET only: values strictly after {@code a} (unsigned). */
    public RequestEvent after(long a) {
        this.hasAfter = true;
        this.after = a;
        return this;
    }

    /** GET only: at most {@code n} values; more than maxGetValues is capped (the page says {@code more}). */
    public RequestEvent limit(int n) {
        this.limit = n;
        return this;
    }

    /** Where the reply goes; {@code token} and {@code attachment} are handed back untouched. */
    public RequestEvent replyTo(ReplySink s, long t, Object a) {
        this.sink = s;
        this.token = t;
        this.attachment = a;
        return this;
    }

    // ---- reading a reply (sink) --------------------------------------------------------------

    public Op op() {
        return op;
    }

    public long token() {
        return token;
    }

    public Object attachment() {
        return attachment;
    }

    public Status status() {
        return status;
    }

    /** Why the status is not OK (null when OK). */
    public String error() {
        return error;
    }

    /** PUT / PUT_MANY: values added; DELETE: values removed; COUNT: values held. */
    public long number() {
        return number;
    }

    /** REMOVE: whether the value was removed; CONTAINS: whether it is there. */
    public boolean flag() {
        return flag;
    }

    /** GET: the page of values, the key's total and whether more follow. */
    public GetResult values() {
        return get;
    }

    /** SCAN: the page of keys and whether the scan may go on (null before this slot's first scan). */
    public ScanResult scanResult() {
        return scan;
    }

    /**
     * Whether the thread calling {@link ReplySink#onReply} with this event calls
     * {@link ReplySink#endOfBatch} on the sink after its batch (the reply and engine threads do): the sink may
     * hold this reply's I/O until then. False: send it before returning.
     */
    public boolean replyBatched() {
        return replyBatched;
    }

    /** LSN of this request's WAL record, 0 when it wrote none. */
    public long lsn() {
        return lsn;
    }

    // ---- engine side -------------------------------------------------------------------------

    int keyBytes() {
        return keyBytes;
    }

    MemorySegment key() {
        return key;
    }

    long[] valueArray() {
        return values;
    }

    int maxValues() {
        return maxValues;
    }

    /** Engine thread: the GET page result, grown to hold this request's page (its limit, capped at maxGetValues). */
    GetResult getResult() {
        int n = getLimit();
        if (get.capacity() < n) {
            get = new GetResult(Math.min(maxGetValues, Math.max(n, 2 * get.capacity())));
        }
        return get;
    }

    /** The GET page this request asks for: its limit, capped at maxGetValues. */
    int getLimit() {
        return Math.min(limit, maxGetValues);
    }

    /** Engine thread: the scan result of this slot, made on first use. */
    ScanResult scanInto() {
        if (scan == null) {
            scan = new ScanResult(keyBytes, SCAN_PAGE);
        }
        return scan;
    }

    MemorySegment walPayload() {
        return walPayload;
    }

    void result(Status s, String why) {
        this.status = s;
        this.error = why;
    }

    /** Encodes the record of an applied mutation into the payload (the key is already there). */
    void encodeRecord(WalRecordType type, long recordLsn) {
        walType = type;
        lsn = recordLsn;
        switch (type) {
            case PUT, REMOVE -> walPayload.set(WalRecordLayout.U64, WalRecordLayout.valueOffset(keyBytes), value);
            case PUT_MANY -> {
                walPayload.set(WalRecordLayout.U32, WalRecordLayout.countOffset(keyBytes), valueCount);
                MemorySegment.copy(values, 0, walPayload, WalRecordLayout.U64,
                        WalRecordLayout.valuesOffset(keyBytes, 0), valueCount);
            }
            case DELETE -> { }
            default -> throw new IllegalArgumentException("not a request record: " + type);
        }
        walLength = (int) WalRecordLayout.payloadBytes(type, keyBytes, valueCount);
    }

    /** The LSN that must be acknowledged before this answer may go out (0: none). */
    long requiredLsn() {
        return Math.max(lsn, dependsLsn);
    }

    @Override
    public String toString() {
        return "RequestEvent[op=" + op + ", status=" + status + ", lsn=" + lsn + ", dependsLsn=" + dependsLsn
                + (error != null ? ", error=" + error : "") + "]";
    }
}
