package dev.hashdir.server.protocol;

import java.math.BigInteger;
import java.math.BigDecimal;
import java.util.Map;

/**
 * Encodes a {@link Reply} as one msgpack map (protocol v1) into a buffer it keeps: the bytes are
 * {@code buffer()[0, length)} until the next {@link #encode}. The buffer grows when a reply needs
 * more and stays grown, so a warm encoder allocates nothing for replies without an error message
 * or stats (those encode their strings).
 *
 * <p>Every reply: {@code v} (always {@link Protocol#VERSION}, the highest this server speaks),
 * {@code id} when the reply has one, {@code status}, and either {@code error} (status not ok) or
 * the op's results. Batch results: {@code status}, then {@code error} or the op's results.
 *
 * <p>Threading: not thread-safe; one encoder per encoding thread.
 */
public final class ReplyEncoder {

    /** Initial buffer size: any reply but large gets, scans and batches fits without growing. */
    public static final int INITIAL_CAPACITY = 64 * 1024;

    private static final byte[] V = MsgpackWriter.encodedStr(Protocol.V);
    private static final byte[] ID = MsgpackWriter.encodedStr(Protocol.ID);
    private static final byte[] STATUS = MsgpackWriter.encodedStr(Protocol.STATUS);
    private static final byte[] ERROR = MsgpackWriter.encodedStr(Protocol.ERROR);
    private static final byte[] ADDED = MsgpackWriter.encodedStr(Protocol.ADDED);
    private static final byte[] VALUES = MsgpackWriter.encodedStr(Protocol.VALUES);
    private static final byte[] COUNT = MsgpackWriter.encodedStr(Protocol.COUNT);
    private static final byte[] MORE = MsgpackWriter.encodedStr(Protocol.MORE);
    private static final byte[] FOUND = MsgpackWriter.encodedStr(Protocol.FOUND);
    private static final byte[] REMOVED = MsgpackWriter.encodedStr(Protocol.REMOVED);
    private static final byte[] KEYS = MsgpackWriter.encodedStr(Protocol.KEYS);
    private static final byte[] CURSOR = MsgpackWriter.encodedStr(Protocol.CURSOR);
    private static final byte[] RESULTS = MsgpackWriter.encodedStr(Protocol.RESULTS);
    private static final byte[] STATS = MsgpackWriter.encodedStr(Protocol.STATS);
    private static final byte[][] STATUS_NAMES = new byte[Status.values().length][];

    static {
        for (Status s : Status.values()) {
            STATUS_NAMES[s.ordinal()] = MsgpackWriter.encodedStr(s.wireName());
        }
    }

    private final MsgpackWriter out;

    public ReplyEncoder() {
        this(INITIAL_CAPACITY);
    }

    public ReplyEncoder(int initialCapacity) {
        this.out = new MsgpackWriter(initialCapacity);
    }

    /**
     * Encodes {@code reply} (a top-level reply) and returns its length in bytes.
     *
     * @throws IllegalArgumentException for a batch result, which is encoded inside its batch
     * @throws IllegalStateException    for an ok reply without an op (a caller bug)
     */
    public int encode(Reply reply) {
        if (reply.isBatchResult()) {
            throw new IllegalArgumentException("a batch result is encoded inside its batch's reply");
        }
        out.reset();
        boolean ok = reply.status() == Status.OK;
        int entries = 2 + (reply.hasId() ? 1 : 0) + (ok ? resultFields(reply) : 1);
        out.mapHeader(entries);
        out.raw(V);
        out.uint64(Protocol.VERSION);
        if (reply.hasId()) {
            out.raw(ID);
            out.uint64(reply.id());
        }
        statusAndResults(reply, ok);
        return out.length();
    }

    /** The encoded reply: the first {@link #length()} bytes. */
    public byte[] buffer() {
        return out.buffer();
    }

    /** Bytes of the last encoded reply. */
    public int length() {
        return out.length();
    }

    /** Current buffer size (grows with the largest reply so far). */
    public int capacity() {
        return out.capacity();
    }

    private void statusAndResults(Reply reply, boolean ok) {
        out.raw(STATUS);
        out.raw(STATUS_NAMES[reply.status().ordinal()]);
        if (!ok) {
            out.raw(ERROR);
            out.str(reply.error() == null ? reply.status().wireName() : reply.error());
            return;
        }
        switch (reply.op()) {
            case PING -> {
            }
            case PUT -> {
                out.raw(ADDED);
                out.uint64(reply.added());
            }
            case GET -> values(reply);
            case CONTAINS -> {
                out.raw(FOUND);
                out.bool(reply.found());
            }
            case COUNT -> {
                out.raw(COUNT);
                out.uint64(reply.count());
            }
            case REMOVE -> {
                out.raw(REMOVED);
                out.bool(reply.removed());
            }
            case DELETE -> {
                out.raw(REMOVED);
                out.uint64(reply.removedCount());
            }
            case SCAN -> keys(reply);
            case BATCH -> results(reply);
            case STATS -> stats(reply.statsMap());
        }
    }

    /** Fields an ok reply to this op carries beyond v, id and status. */
    private static int resultFields(Reply reply) {
        if (reply.op() == null) {
            throw new IllegalStateException("an ok reply needs an op: use Reply.answer or Reply.ok");
        }
        return switch (reply.op()) {
            case PING -> 0;
            case GET -> 3;
            case SCAN -> 2;
            case PUT, CONTAINS, COUNT, REMOVE, DELETE, BATCH, STATS -> 1;
        };
    }

    private void values(Reply reply) {
        out.raw(VALUES);
        int n = reply.valueCount();
        out.arrayHeader(n);
        long[] values = reply.valueArray();
        for (int i = reply.valuesFrom(), end = i + n; i < end; i++) {
            out.uint64(values[i]);
        }
        out.raw(COUNT);
        out.uint64(reply.count());
        out.raw(MORE);
        out.bool(reply.more());
    }

    private void keys(Reply reply) {
        out.raw(KEYS);
        int n = reply.keyCount();
        int length = reply.keyLength();
        out.arrayHeader(n);
        byte[] keys = reply.keyArray();
        for (int i = 0; i < n; i++) {
            out.bin(keys, reply.keysFrom() + i * length, length);
        }
        out.raw(CURSOR);
        if (reply.cursorArray() == null) {
            out.nil();
        } else {
            out.bin(reply.cursorArray(), reply.cursorFrom(), reply.cursorLength());
        }
    }

    private void results(Reply reply) {
        out.raw(RESULTS);
        int n = reply.resultCount();
        out.arrayHeader(n);
        for (int i = 0; i < n; i++) {
            Reply result = reply.result(i);
            boolean ok = result.status() == Status.OK;
            out.mapHeader(1 + (ok ? resultFields(result) : 1));
            statusAndResults(result, ok);
        }
    }

    private void stats(Map<String, ? extends Number> stats) {
        out.raw(STATS);
        if (stats == null) {
            out.mapHeader(0);
            return;
        }
        out.mapHeader(stats.size());
        for (Map.Entry<String, ? extends Number> e : stats.entrySet()) {
            out.str(e.getKey());
            number(e.getValue());
        }
    }

    private void number(Number n) {
        switch (n) {
            case null -> out.nil();
            case Double d -> out.float64(d);
            case Float f -> out.float64(f);
            case BigDecimal d -> out.float64(d.doubleValue());
            case BigInteger b when b.signum() >= 0 && b.bitLength() <= 64 -> out.uint64(b.longValue());
            case BigInteger b -> out.float64(b.doubleValue());
            default -> out.int64(n.longValue());
        }
    }
}
