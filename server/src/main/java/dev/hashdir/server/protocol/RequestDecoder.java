package dev.hashdir.server.protocol;

import dev.hashdir.engine.store.StoreFormat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * Decodes one request frame (a msgpack map, protocol v1) into a reused {@link Request} and
 * validates it. Never throws for anything a client can send: every frame gets a status, and
 * the {@link Request} carries the message and, when it could be read, the id to echo.
 *
 * <p>A valid ping, put, get, contains, count, remove or delete decodes without allocating: the
 * frame is read in place, field names are compared as bytes against pre-encoded names, the key
 * and values are copied into the Request's buffers. Errors allocate (their message).
 *
 * <p>Rules (docs/protocol.md is normative):
 * <ul>
 *   <li>not msgpack, truncated, not a map, trailing bytes: {@code bad_request};
 *   <li>frame over {@link Protocol#MAX_MESSAGE_BYTES}, {@code values} over
 *       {@link Protocol#MAX_VALUES} (a batch counted whole), {@code ops} over
 *       {@link Protocol#MAX_BATCH_OPS}: {@code too_large}, checked before anything is read;
 *   <li>{@code v} absent or nil: version 1; {@code v} above 1: {@code unsupported_version},
 *       whatever else the request holds (except a frame over the size limit);
 *   <li>unknown fields (any name, any key type) are skipped; a known field is validated whether
 *       or not the op uses it, and may appear once;
 *   <li>nil in {@code v id after limit cursor} means absent;
 *   <li>integers may come in any msgpack int format; uint64 above 2^63-1 keeps its 64 bits;
 *       a negative integer is {@code bad_request};
 *   <li>{@code limit} above {@link Protocol#MAX_LIMIT} is read as the maximum.
 * </ul>
 *
 * <p>After an error a second, lenient pass looks for {@code id} (and {@code v}) in the top-level
 * map, so that a DEALER client can match even the error reply of a request that went wrong
 * before its id.
 *
 * <p>Threading: not thread-safe; one decoder per decoding thread.
 */
public final class RequestDecoder {

    /** Longest part of a client's string quoted back in an error message. */
    private static final int QUOTE_MAX = 40;

    private final int keyBytes;
    /** "bin of N bytes", made once: the valid path builds no strings. */
    private final String keyExpected;
    private final MsgpackReader reader = new MsgpackReader(this::path);
    /** Copy of a frame that was not in a heap array; grows up to the message limit. */
    private byte[] scratch = new byte[0];

    // where the reader is, for error messages only
    private int opIndex;
    private RequestField field;
    private int elementIndex;
    private int unknownKeyAt;
    private int unknownKeyLength;

    /** A decoder for a store whose keys are {@code keyBytes} long. */
    public RequestDecoder(int keyBytes) {
        if (keyBytes < StoreFormat.MIN_KEY_BYTES || keyBytes > StoreFormat.MAX_KEY_BYTES) {
            throw new IllegalArgumentException("key bytes must be between " + StoreFormat.MIN_KEY_BYTES + " and "
                    + StoreFormat.MAX_KEY_BYTES + ": keyBytes=" + keyBytes);
        }
        this.keyBytes = keyBytes;
        this.keyExpected = "bin of " + keyBytes + " bytes";
    }

    public int keyBytes() {
        return keyBytes;
    }

    /**
     * Decodes {@code frame[offset, offset + length)} into {@code into}; returns its status
     * ({@link Request#status()}). The frame is not kept: it may be reused once this returns.
     *
     * @throws IllegalArgumentException if {@code into} is for another key length (a caller bug)
     * @throws IndexOutOfBoundsException if the range is not within {@code frame} (a caller bug)
     */
    public Status decode(byte[] frame, int offset, int length, Request into) {
        Objects.checkFromIndexSize(offset, length, frame.length);
        return decode(frame, offset, Math.min(length, Protocol.MAX_MESSAGE_BYTES), length, into);
    }

    /**
     * Decodes a body frame of {@code frameLength} bytes of which {@code buf[offset, offset +
     * available)} are given: all of it when it is within {@link Protocol#MAX_MESSAGE_BYTES}, else
     * any prefix (the request is too_large; its id is looked for in the prefix). For transports
     * that refuse an oversized frame without buffering it.
     *
     * @throws IllegalArgumentException if a frame within the limit is not given whole (a caller bug)
     */
    public Status decodePrefix(byte[] buf, int offset, int available, int frameLength, Request into) {
        Objects.checkFromIndexSize(offset, available, buf.length);
        if (available > frameLength || frameLength <= Protocol.MAX_MESSAGE_BYTES && available != frameLength) {
            throw new IllegalArgumentException("frame of " + frameLength + " bytes given as " + available + " bytes");
        }
        return decode(buf, offset, Math.min(available, Protocol.MAX_MESSAGE_BYTES), frameLength, into);
    }

    /**
     * Decodes the bytes from the buffer's position to its limit into {@code into}; the buffer's
     * position is left as it was. A heap buffer is read in place; another is copied first
     * (into a buffer kept for the next time).
     */
    public Status decode(ByteBuffer frame, Request into) {
        int length = frame.remaining();
        if (frame.hasArray()) {
            return decode(frame.array(), frame.arrayOffset() + frame.position(), length, into);
        }
        int copied = Math.min(length, Protocol.MAX_MESSAGE_BYTES);
        if (scratch.length < copied) {
            scratch = new byte[Math.min(Protocol.MAX_MESSAGE_BYTES, Math.max(copied, 2 * scratch.length))];
        }
        frame.get(frame.position(), scratch, 0, copied);
        return decode(scratch, 0, copied, length, into);
    }

    /** {@code available} bytes of a frame of {@code frameLength} are at {@code buf[offset...]}. */
    private Status decode(byte[] buf, int offset, int available, int frameLength, Request into) {
        if (into.keyBytes() != keyBytes) {
            throw new IllegalArgumentException("request is for " + into.keyBytes() + "-byte keys, the decoder for "
                    + keyBytes + "-byte keys");
        }
        into.clear();
        if (frameLength > Protocol.MAX_MESSAGE_BYTES) {
            into.fail(Status.TOO_LARGE, "request: frame of " + frameLength + " bytes, at most "
                    + Protocol.MAX_MESSAGE_BYTES);
            findId(buf, offset, available, into);
            return into.status();
        }
        try {
            reader.reset(buf, offset, available);
            readRequest(into);
            return Status.OK;
        } catch (DecodeException e) {
            into.fail(e.status(), e.getMessage());
        } catch (RuntimeException e) {
            // a decoder bug: still a reply, never a dead connection
            into.fail(Status.INTERNAL, "request decoder failed at offset " + reader.offset() + ": " + e);
        }
        findIdAndVersion(buf, offset, available, into);
        return into.status();
    }

    // ---- the strict pass ----------------------------------------------------------------------

    private void readRequest(Request r) {
        at(-1, null);
        if (reader.remaining() == 0) {
            throw bad("request: empty frame, expected a msgpack map");
        }
        int entries = reader.readMapHeader();
        readFields(r, entries, 1);
        at(-1, null);
        if (reader.remaining() > 0) {
            throw bad("request: " + reader.remaining() + " trailing bytes after the request map at offset "
                    + reader.offset());
        }
        validate(r);
    }

    /** Reads the {@code entries} fields of a request map at nesting {@code level}. */
    private void readFields(Request r, int entries, int level) {
        int seen = 0;
        for (int i = 0; i < entries; i++) {
            field = null;
            RequestField f = readFieldName(level);
            if (f == null) {
                reader.skipValue(level + 1);
                continue;
            }
            field = f;
            if ((seen & f.bit) != 0) {
                throw bad(path() + ": given twice");
            }
            seen |= f.bit;
            if (r.inBatch() && (f == RequestField.V || f == RequestField.ID)) {
                throw bad(path() + ": not allowed in a batch op (the batch's " + f.wireName + " covers its ops)");
            }
            if (f.nilIsAbsent && reader.skipNil()) {
                continue;
            }
            readField(r, f, level);
        }
        field = null;
    }

    /** Reads a map key: a known field, or null (the key was skipped and the value must be). */
    private RequestField readFieldName(int level) {
        unknownKeyAt = -1;
        unknownKeyLength = -1;
        if (!reader.nextIsStr()) {
            unknownKeyAt = reader.position();
            reader.skipValue(level + 1);
            return null;
        }
        int length = reader.readStrHeader("str");
        int at = reader.position();
        RequestField f = RequestField.byName(reader.buffer(), at, length);
        reader.skipBytes(length);
        if (f == null) {
            unknownKeyAt = at;
            unknownKeyLength = length;
        }
        return f;
    }

    /** As {@link #readFieldName}, for the lenient pass: a non-str key of any depth is skipped. */
    private RequestField readFieldNameAnyDepth() {
        if (!reader.nextIsStr()) {
            reader.skipValueAnyDepth();
            return null;
        }
        return readFieldName(1);
    }

    private void readField(Request r, RequestField f, int level) {
        switch (f) {
            case V -> readVersion(r);
            case ID -> r.id(reader.readUint64());
            case OP -> readOp(r);
            case KEY -> readKey(r);
            case VALUE -> r.value(reader.readUint64());
            case VALUES -> readValues(r);
            case AFTER -> r.after(reader.readUint64());
            case LIMIT -> r.limit(reader.readUint64());
            case CURSOR -> readCursor(r);
            case OPS -> readOps(r, level);
        }
    }

    private void readVersion(Request r) {
        long v = reader.readUint64();
        if (Long.compareUnsigned(v, Protocol.VERSION) > 0) {
            throw new DecodeException(Status.UNSUPPORTED_VERSION, unsupported(v));
        }
        if (v == 0) {
            throw bad("v: expected 1, got 0 (versions start at 1)");
        }
        r.version((int) v);
    }

    private void readOp(Request r) {
        int length = reader.readStrHeader("str (an op name)");
        int at = reader.position();
        Op op = Op.byName(reader.buffer(), at, length);
        if (op == null) {
            throw bad(path() + ": unknown op \"" + quote(at, length) + "\", expected one of " + opNames());
        }
        if (op == Op.BATCH && r.inBatch()) {
            throw bad(path() + ": a batch cannot contain a batch");
        }
        reader.skipBytes(length);
        r.op(op);
    }

    private void readKey(Request r) {
        int length = reader.readBinHeader(keyExpected);
        if (length != keyBytes) {
            throw bad(path() + ": expected " + keyExpected + ", got bin of " + length + " bytes");
        }
        r.key(reader.buffer(), reader.position());
        reader.skipBytes(length);
    }

    private void readValues(Request r) {
        int count = reader.readArrayHeader();
        if (count > Protocol.MAX_VALUES - r.valuesUsed()) {
            throw new DecodeException(Status.TOO_LARGE, path() + ": " + count + " values"
                    + (r.valuesUsed() > 0 ? " after " + r.valuesUsed() + " in earlier ops" : "") + ", at most "
                    + Protocol.MAX_VALUES + " per request" + (r.inBatch() ? " (a batch counted whole)" : ""));
        }
        int from = r.reserveValues(count);
        long[] values = r.valueArray();
        for (int i = 0; i < count; i++) {
            elementIndex = i;
            values[from + i] = reader.readUint64();
        }
        elementIndex = -1;
    }

    private void readCursor(Request r) {
        int length = reader.readBinHeader("bin");
        if (length > Protocol.MAX_CURSOR_BYTES) {
            throw bad(path() + ": bin of " + length + " bytes, at most " + Protocol.MAX_CURSOR_BYTES
                    + " (not a cursor this server issued)");
        }
        r.cursor(reader.buffer(), reader.position(), length);
        reader.skipBytes(length);
    }

    private void readOps(Request r, int level) {
        if (r.inBatch()) {
            throw bad(path() + ": a batch op cannot hold ops (a batch cannot contain a batch)");
        }
        int count = reader.readArrayHeader();
        if (count > Protocol.MAX_BATCH_OPS) {
            throw new DecodeException(Status.TOO_LARGE, path() + ": " + count + " ops, at most "
                    + Protocol.MAX_BATCH_OPS + " per batch");
        }
        r.startOps();
        for (int i = 0; i < count; i++) {
            at(i, null);
            Request sub = r.startOp(i);
            if (!isMapNext()) {
                throw reader.wrongType("map");
            }
            int entries = reader.readMapHeader();
            readFields(sub, entries, level + 2);
            validate(sub);
        }
        at(-1, RequestField.OPS);
    }

    private boolean isMapNext() {
        int b = reader.peek();
        return MsgpackFormat.isFixMap(b) || b == MsgpackFormat.MAP16 || b == MsgpackFormat.MAP32;
    }

    /** Checks that the op is known and has what it needs. */
    private void validate(Request r) {
        field = null;
        Op op = r.op();
        if (op == null) {
            throw missing(RequestField.OP, "every request needs op");
        }
        switch (op) {
            case PUT -> {
                need(r.hasKey(), RequestField.KEY, op);
                if (r.hasValue() && r.hasValues()) {
                    throw bad(prefix() + "value, values: both given, put takes one of them");
                }
                if (!r.hasValue() && !r.hasValues()) {
                    throw missing(RequestField.VALUE, "put needs value or values");
                }
            }
            case GET, COUNT, DELETE -> need(r.hasKey(), RequestField.KEY, op);
            case CONTAINS, REMOVE -> {
                need(r.hasKey(), RequestField.KEY, op);
                need(r.hasValue(), RequestField.VALUE, op);
            }
            case BATCH -> need(r.hasOps(), RequestField.OPS, op);
            case PING, SCAN, STATS -> {
            }
        }
    }

    private void need(boolean present, RequestField f, Op op) {
        if (!present) {
            throw missing(f, op.wireName() + " needs " + f.wireName);
        }
    }

    private DecodeException missing(RequestField f, String why) {
        return bad(prefix() + f.wireName + ": missing (" + why + ")");
    }

    // ---- the lenient pass after an error --------------------------------------------------------

    /** Looks for a readable id and a v above 1 in the top-level map; stops where it cannot go on. */
    private void findIdAndVersion(byte[] buf, int offset, int length, Request into) {
        findFields(buf, offset, length, into, true);
    }

    private void findId(byte[] buf, int offset, int length, Request into) {
        findFields(buf, offset, length, into, false);
    }

    private void findFields(byte[] buf, int offset, int length, Request into, boolean version) {
        try {
            reader.reset(buf, offset, length);
            at(-1, null);
            long entries = reader.readMapHeaderUnchecked();
            for (long i = 0; i < entries; i++) {
                field = null;
                RequestField f = readFieldNameAnyDepth();
                if (f == RequestField.ID && !into.hasId() && isUintNext()) {
                    into.id(reader.readUint64());
                } else if (f == RequestField.V && version && isUintNext()) {
                    long v = reader.readUint64();
                    if (Long.compareUnsigned(v, Protocol.VERSION) > 0) {
                        into.fail(Status.UNSUPPORTED_VERSION, unsupported(v));
                        version = false;
                    }
                } else {
                    reader.skipValueAnyDepth();
                }
            }
        } catch (DecodeException e) {
            // the frame goes no further: what was found is all there is
        } catch (RuntimeException e) {
            into.fail(Status.INTERNAL, "request decoder failed looking for the id at offset " + reader.offset()
                    + ": " + e + " (after: " + into.error() + ")");
        }
    }

    /** Whether an integer that reads as a uint64 is next (a negative one is skipped instead). */
    private boolean isUintNext() {
        int at = reader.position();
        try {
            reader.readUint64();
            return true;
        } catch (DecodeException notUint) {
            return false;
        } finally {
            reader.rewind(at);
        }
    }

    // ---- error messages (error path only) --------------------------------------------------------

    private static String unsupported(long v) {
        return "v: this server speaks protocol version " + Protocol.VERSION + " at most, the request has v="
                + Long.toUnsignedString(v);
    }

    private void at(int opIndex, RequestField field) {
        this.opIndex = opIndex;
        this.field = field;
        this.elementIndex = -1;
        this.unknownKeyAt = -1;
        this.unknownKeyLength = -1;
    }

    private static DecodeException bad(String message) {
        return new DecodeException(Status.BAD_REQUEST, message);
    }

    /** "ops[3]." inside a batch op, else "". */
    private String prefix() {
        return opIndex >= 0 ? "ops[" + opIndex + "]." : "";
    }

    /** What is being read, as "key", "values[17]", "ops[3].key", "ops[3]" or "request". */
    private String path() {
        StringBuilder s = new StringBuilder();
        if (opIndex >= 0) {
            s.append("ops[").append(opIndex).append(']');
        }
        String name = null;
        if (field != null) {
            name = field.wireName;
        } else if (unknownKeyLength >= 0) {
            name = "field \"" + quote(unknownKeyAt, unknownKeyLength) + "\"";
        } else if (unknownKeyAt >= 0) {
            name = "field with a non-str name at offset " + reader.offsetOf(unknownKeyAt);
        }
        if (name != null) {
            s.append(s.isEmpty() ? "" : ".").append(name);
            if (elementIndex >= 0) {
                s.append('[').append(elementIndex).append(']');
            }
        }
        return s.isEmpty() ? "request" : s.toString();
    }

    /** Bytes of the frame as printable text, at most {@value #QUOTE_MAX} characters. */
    private String quote(int at, int length) {
        String text = new String(reader.buffer(), at, Math.min(length, QUOTE_MAX * 4), StandardCharsets.UTF_8);
        StringBuilder s = new StringBuilder();
        text.codePoints().limit(QUOTE_MAX).forEach(c -> {
            if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
                s.append((char) c);
            } else {
                s.append(String.format(c <= 0xffff ? "\\u%04x" : "\\U%08x", c));
            }
        });
        if (text.codePointCount(0, text.length()) > QUOTE_MAX || length > QUOTE_MAX * 4) {
            s.append("...");
        }
        return s.toString();
    }

    private static String opNames() {
        return String.join(", ", Arrays.stream(Op.values()).map(Op::wireName).toList());
    }
}
