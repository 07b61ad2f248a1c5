package dev.hashdir.server.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static dev.hashdir.server.protocol.MsgpackFormat.*;

/**
 * Writes msgpack into a byte array that grows when a message needs more and is then kept, so
 * a warm writer allocates nothing. Always the smallest format for a value (the msgpack rule);
 * unsigned 64-bit values from 2^63 up as uint64, never as negative ints.
 *
 * <p>Threading: not thread-safe; one owner.
 */
final class MsgpackWriter {

    private byte[] buf;
    private int pos;

    MsgpackWriter(int initialCapacity) {
        this.buf = new byte[Math.max(16, initialCapacity)];
    }

    /** The msgpack encoding of {@code s} as a str, for names written often. */
    static byte[] encodedStr(String s) {
        MsgpackWriter w = new MsgpackWriter(s.length() + 5);
        w.str(s);
        return Arrays.copyOf(w.buf, w.pos);
    }

    void reset() {
        pos = 0;
    }

    byte[] buffer() {
        return buf;
    }

    int length() {
        return pos;
    }

    int capacity() {
        return buf.length;
    }

    void mapHeader(int n) {
        header(n, FIXMAP, MAP16, MAP32);
    }

    void arrayHeader(int n) {
        header(n, FIXARRAY, ARRAY16, ARRAY32);
    }

    private void header(int n, int fix, int sixteen, int thirtyTwo) {
        ensure(5);
        if (n <= FIX_COUNT_MAX) {
            buf[pos++] = (byte) (fix | n);
        } else if (n <= 0xffff) {
            buf[pos++] = (byte) sixteen;
            put16(n);
        } else {
            buf[pos++] = (byte) thirtyTwo;
            put32(n);
        }
    }

    /** Bytes already in msgpack form (a pre-encoded str). */
    void raw(byte[] encoded) {
        ensure(encoded.length);
        System.arraycopy(encoded, 0, buf, pos, encoded.length);
        pos += encoded.length;
    }

    void nil() {
        ensure(1);
        buf[pos++] = (byte) NIL;
    }

    void bool(boolean b) {
        ensure(1);
        buf[pos++] = (byte) (b ? TRUE : FALSE);
    }

    /** {@code v} read as unsigned 0..2^64-1, in the smallest uint format. */
    void uint64(long v) {
        ensure(9);
        if (v >= 0 && v <= POSFIXINT_MAX) {
            buf[pos++] = (byte) v;
        } else if (v >= 0 && v <= 0xff) {
            buf[pos++] = (byte) UINT8;
            buf[pos++] = (byte) v;
        } else if (v >= 0 && v <= 0xffff) {
            buf[pos++] = (byte) UINT16;
            put16((int) v);
        } else if (v >= 0 && v <= 0xffff_ffffL) {
            buf[pos++] = (byte) UINT32;
            put32((int) v);
        } else {
            buf[pos++] = (byte) UINT64;
            put64(v);
        }
    }

    /** {@code v} as a signed integer: non-negative as uint, negative in the smallest int format. */
    void int64(long v) {
        if (v >= 0) {
            uint64(v);
            return;
        }
        ensure(9);
        if (v >= -32) {
            buf[pos++] = (byte) v;
        } else if (v >= Byte.MIN_VALUE) {
            buf[pos++] = (byte) INT8;
            buf[pos++] = (byte) v;
        } else if (v >= Short.MIN_VALUE) {
            buf[pos++] = (byte) INT16;
            put16((int) v);
        } else if (v >= Integer.MIN_VALUE) {
            buf[pos++] = (byte) INT32;
            put32((int) v);
        } else {
            buf[pos++] = (byte) INT64;
            put64(v);
        }
    }

    void float64(double d) {
        ensure(9);
        buf[pos++] = (byte) FLOAT64;
        put64(Double.doubleToRawLongBits(d));
    }

    void bin(byte[] src, int from, int length) {
        ensure(5 + length);
        if (length <= 0xff) {
            buf[pos++] = (byte) BIN8;
            buf[pos++] = (byte) length;
        } else if (length <= 0xffff) {
            buf[pos++] = (byte) BIN16;
            put16(length);
        } else {
            buf[pos++] = (byte) BIN32;
            put32(length);
        }
        System.arraycopy(src, from, buf, pos, length);
        pos += length;
    }

    /** A str (UTF-8); allocates the encoded bytes, so for error messages and stats names only. */
    void str(String s) {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        int n = utf8.length;
        ensure(5 + n);
        if (n <= FIXSTR_LENGTH_MAX) {
            buf[pos++] = (byte) (FIXSTR | n);
        } else if (n <= 0xff) {
            buf[pos++] = (byte) STR8;
            buf[pos++] = (byte) n;
        } else if (n <= 0xffff) {
            buf[pos++] = (byte) STR16;
            put16(n);
        } else {
            buf[pos++] = (byte) STR32;
            put32(n);
        }
        System.arraycopy(utf8, 0, buf, pos, n);
        pos += n;
    }

    private void put16(int v) {
        buf[pos++] = (byte) (v >>> 8);
        buf[pos++] = (byte) v;
    }

    private void put32(int v) {
        buf[pos++] = (byte) (v >>> 24);
        buf[pos++] = (byte) (v >>> 16);
        buf[pos++] = (byte) (v >>> 8);
        buf[pos++] = (byte) v;
    }

    private void put64(long v) {
        put32((int) (v >>> 32));
        put32((int) v);
    }

    private void ensure(int n) {
        if (buf.length - pos < n) {
            long wanted = Math.max((long) pos + n, 2L * buf.length);
            if (wanted > Integer.MAX_VALUE - 8) {
                if ((long) pos + n > Integer.MAX_VALUE - 8) {
                    throw new IllegalStateException("reply larger than a Java array: needed=" + ((long) pos + n));
                }
                wanted = Integer.MAX_VALUE - 8;
            }
            buf = Arrays.copyOf(buf, (int) wanted);
        }
    }
}
