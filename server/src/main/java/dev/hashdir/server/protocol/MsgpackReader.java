package dev.hashdir.server.protocol;

import static dev.hashdir.server.protocol.MsgpackFormat.*;

/**
 * A bounds-checked cursor over one msgpack frame in a byte array. Reads in place: nothing is
 * copied and nothing allocated unless the frame is bad, in which case a {@link DecodeException}
 * names the field (from the {@link Context}), what was expected and what was found.
 *
 * <p>Every declared length or count is checked against the bytes left <em>before</em> anything is
 * done with it (an element takes at least one byte, a map entry two), so a frame declaring four
 * billion elements costs nothing. Skipping is iterative with a fixed stack of
 * {@link Protocol#MAX_NESTING} levels: deep nesting is refused, never recursed into.
 *
 * <p>Threading: not thread-safe; one owner.
 */
final class MsgpackReader {

    /** Names what is being read, for error messages; called only on the error path. */
    interface Context {
        String path();
    }

    private final Context context;
    /** Skip stack: values still to skip at each nesting level. */
    private final long[] pending = new long[Protocol.MAX_NESTING + 1];
    private byte[] buf = new byte[0];
    private int start;
    private int pos;
    private int end;

    MsgpackReader(Context context) {
        this.context = context;
    }

    void reset(byte[] frame, int offset, int length) {
        this.buf = frame;
        this.start = offset;
        this.pos = offset;
        this.end = offset + length;
    }

    byte[] buffer() {
        return buf;
    }

    /** Index into {@link #buffer()} of the next byte. */
    int position() {
        return pos;
    }

    /** Bytes read since the frame start. */
    int offset() {
        return pos - start;
    }

    /** Offset from the frame start of index {@code index} of {@link #buffer()}. */
    int offsetOf(int index) {
        return index - start;
    }

    /** Goes back to {@code index} of {@link #buffer()}, a position this frame was at before. */
    void rewind(int index) {
        if (index < start || index > end) {
            throw new IllegalArgumentException("rewind to " + index + " outside the frame [" + start + ", " + end
                    + "]");
        }
        pos = index;
    }

    int remaining() {
        return end - pos;
    }

    /** The next format byte (0..255), not consumed. */
    int peek() {
        need(1);
        return buf[pos] & 0xff;
    }

    /** Consumes a nil if one is next; tells whether it did. */
    boolean skipNil() {
        if (peek() == NIL) {
            pos++;
            return true;
        }
        return false;
    }

    void skipBytes(int n) {
        need(n);
        pos += n;
    }

    /** Reads a map header; the count is checked against the bytes left (two per entry). */
    int readMapHeader() {
        return declared(readMapCount(), 2, "map", "entries");
    }

    /**
     * Reads a map header without checking its count against the bytes left: for the lenient pass
     * that looks for the id in a truncated frame. A caller that loops over the count ends at the
     * frame's end anyway (each entry consumes bytes or fails).
     */
    long readMapHeaderUnchecked() {
        return readMapCount();
    }

    private long readMapCount() {
        int b = peek();
        long n;
        if (isFixMap(b)) {
            n = b & FIX_COUNT_MAX;
            pos += 1;
        } else if (b == MAP16) {
            need(3);
            n = u16(pos + 1);
            pos += 3;
        } else if (b == MAP32) {
            need(5);
            n = u32(pos + 1);
            pos += 5;
        } else {
            throw wrongType("map");
        }
        return n;
    }

    /** Reads an array header; the count is checked against the bytes left (one per element). */
    int readArrayHeader() {
        int b = peek();
        long n;
        if (isFixArray(b)) {
            n = b & FIX_COUNT_MAX;
            pos += 1;
        } else if (b == ARRAY16) {
            need(3);
            n = u16(pos + 1);
            pos += 3;
        } else if (b == ARRAY32) {
            need(5);
            n = u32(pos + 1);
            pos += 5;
        } else {
            throw wrongType("array");
        }
        return declared(n, 1, "array", "elements");
    }

    /** Reads a bin header; the length is checked against the bytes left. */
    int readBinHeader(String expected) {
        int b = peek();
        long n;
        if (b == BIN8) {
            need(2);
            n = u8(pos + 1);
            pos += 2;
        } else if (b == BIN16) {
            need(3);
            n = u16(pos + 1);
            pos += 3;
        } else if (b == BIN32) {
            need(5);
            n = u32(pos + 1);
            pos += 5;
        } else {
            throw wrongType(expected);
        }
        return declared(n, 1, "bin", "bytes");
    }

    /** True if a str starts next (any of the str formats). */
    boolean nextIsStr() {
        int b = peek();
        return isFixStr(b) || b == STR8 || b == STR16 || b == STR32;
    }

    /** Reads a str header; the length is checked against the bytes left. */
    int readStrHeader(String expected) {
        int b = peek();
        long n;
        if (isFixStr(b)) {
            n = b & FIXSTR_LENGTH_MAX;
            pos += 1;
        } else if (b == STR8) {
            need(2);
            n = u8(pos + 1);
            pos += 2;
        } else if (b == STR16) {
            need(3);
            n = u16(pos + 1);
            pos += 3;
        } else if (b == STR32) {
            need(5);
            n = u32(pos + 1);
            pos += 5;
        } else {
            throw wrongType(expected);
        }
        return declared(n, 1, "str", "bytes");
    }

    /**
     * Reads an integer in 0..2^64-1, in any msgpack int format whose value is not negative; the
     * result holds the 64 bits (values from 2^63 up read as negative longs: compare unsigned).
     */
    long readUint64() {
        int b = peek();
        if (b <= POSFIXINT_MAX) {
            pos += 1;
            return b;
        }
        long v;
        switch (b) {
            case UINT8 -> { need(2); v = u8(pos + 1); pos += 2; return v; }
            case UINT16 -> { need(3); v = u16(pos + 1); pos += 3; return v; }
            case UINT32 -> { need(5); v = u32(pos + 1); pos += 5; return v; }
            case UINT64 -> { need(9); v = u64(pos + 1); pos += 9; return v; }
            case INT8 -> { need(2); v = buf[pos + 1]; }
            case INT16 -> { need(3); v = (short) u16(pos + 1); }
            case INT32 -> { need(5); v = (int) u32(pos + 1); }
            case INT64 -> { need(9); v = u64(pos + 1); }
            default -> {
                if (b >= NEGFIXINT) {
                    throw negative((byte) b);
                }
                throw wrongType("uint64");
            }
        }
        if (v < 0) {
            throw negative(v);
        }
        pos += intSize(b);
        return v;
    }

    /**
     * Skips one value of any kind. {@code level} is the nesting level a map or array here would
     * have (the request map is level 1); deeper than {@link Protocol#MAX_NESTING} is refused.
     */
    void skipValue(int level) {
        int depth = 0;
        pending[0] = 1;
        while (depth >= 0) {
            if (pending[depth] == 0) {
                depth--;
                continue;
            }
            pending[depth]--;
            int at = pos;
            long children = skipOne();
            if (children > 0) {
                if (level + depth > Protocol.MAX_NESTING) {
                    throw new DecodeException(Status.BAD_REQUEST, context.path() + ": nested deeper than "
                            + Protocol.MAX_NESTING + " levels at offset " + offsetOf(at));
                }
                pending[++depth] = children;
            }
        }
    }

    /**
     * Skips one value of any kind and any depth, counting the values still to skip instead of
     * keeping a stack: for the lenient pass that looks for the id after an error, which should
     * get past nesting the strict pass refused. The count never exceeds the bytes left.
     */
    void skipValueAnyDepth() {
        long todo = 1;
        while (todo > 0) {
            todo--;
            todo += skipOne();
        }
    }

    /** Skips one scalar, or the header of a map or array; returns the values that follow it. */
    private long skipOne() {
        int b = peek();
        if (b <= POSFIXINT_MAX || b >= NEGFIXINT || b == NIL || b == FALSE || b == TRUE) {
            pos++;
            return 0;
        }
        if (isFixMap(b) || b == MAP16 || b == MAP32) {
            return 2L * readMapHeader();
        }
        if (isFixArray(b) || b == ARRAY16 || b == ARRAY32) {
            return readArrayHeader();
        }
        if (isFixStr(b) || b == STR8 || b == STR16 || b == STR32) {
            skipBytes(readStrHeader("str"));
            return 0;
        }
        switch (b) {
            case BIN8, BIN16, BIN32 -> skipBytes(readBinHeader("bin"));
            case UINT8, INT8 -> skipBytes(2);
            case UINT16, INT16 -> skipBytes(3);
            case UINT32, INT32, FLOAT32 -> skipBytes(5);
            case UINT64, INT64, FLOAT64 -> skipBytes(9);
            case FIXEXT1, FIXEXT1 + 1, FIXEXT1 + 2, FIXEXT1 + 3, FIXEXT16 -> skipBytes(2 + (1 << (b - FIXEXT1)));
            case EXT8 -> { need(2); skipBytes(3 + checkedLength(u8(pos + 1), 3)); }
            case EXT16 -> { need(3); skipBytes(4 + checkedLength(u16(pos + 1), 4)); }
            case EXT32 -> { need(5); skipBytes(6 + checkedLength(u32(pos + 1), 6)); }
            default -> throw new DecodeException(Status.BAD_REQUEST, context.path()
                    + ": not msgpack, invalid byte 0x" + Integer.toHexString(b) + " at offset " + offset());
        }
        return 0;
    }

    private int checkedLength(long n, int header) {
        if (n > remaining() - header) {
            throw new DecodeException(Status.BAD_REQUEST, context.path() + ": truncated, ext of " + n
                    + " bytes declared at offset " + offset() + " but " + Math.max(0, remaining() - header)
                    + " bytes left");
        }
        return (int) n;
    }

    private int declared(long n, int minBytesEach, String kind, String unit) {
        if (n * minBytesEach > remaining()) {
            throw new DecodeException(Status.BAD_REQUEST, context.path() + ": truncated, " + kind + " of " + n
                    + " " + unit + " declared before offset " + offset() + " but " + remaining() + " bytes left");
        }
        return (int) n;
    }

    private void need(int n) {
        if (end - pos < n) {
            throw new DecodeException(Status.BAD_REQUEST, context.path() + ": truncated, " + n
                    + " bytes needed at offset " + offset() + ", " + (end - pos) + " left");
        }
    }

    /** What the next value is, for "got ..." in error messages. */
    String describeNext() {
        if (pos >= end) {
            return "end of frame";
        }
        return kind(buf[pos] & 0xff);
    }

    /** "path: expected X, got Y" for the value at the current position. */
    DecodeException wrongType(String expected) {
        return new DecodeException(Status.BAD_REQUEST, context.path() + ": expected " + expected + ", got "
                + describeNext());
    }

    private DecodeException negative(long v) {
        return new DecodeException(Status.BAD_REQUEST, context.path() + ": expected uint64, got negative int " + v);
    }

    private static int intSize(int formatByte) {
        return switch (formatByte) {
            case INT8 -> 2;
            case INT16 -> 3;
            case INT32 -> 5;
            default -> 9;
        };
    }

    private long u8(int i) {
        return buf[i] & 0xffL;
    }

    private long u16(int i) {
        return ((buf[i] & 0xffL) << 8) | (buf[i + 1] & 0xffL);
    }

    private long u32(int i) {
        return (u16(i) << 16) | u16(i + 2);
    }

    private long u64(int i) {
        return (u32(i) << 32) | u32(i + 4);
    }
}
