package dev.hashdir.client.zmtp;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The ZMTP 3.1 wire format (RFC 23/ZMTP, RFC 37/ZMTP) as far as hashdir speaks it: the 64-byte
 * greeting, the NULL security mechanism (a READY command with metadata each way), message frames
 * and the PING/PONG heartbeat commands. Everything here reads and writes plain byte arrays at an
 * offset and allocates nothing, except the handshake helpers (once per connection).
 *
 * <pre>
 *   greeting  0xFF, 8 bytes padding, 0x7F | major 3, minor 1 | mechanism "NULL" padded to 20
 *             | as-server (0/1) | 31 bytes filler                                   = 64 bytes
 *   frame     flags (bit 0 MORE, bit 1 LONG, bit 2 COMMAND, others 0)
 *             | size: 1 byte, or 8 bytes big-endian when LONG | body
 *   command   body = name length (1 byte) | name | data
 *   READY     data = properties: name length (1) | name | value length (4, big-endian) | value
 *   PING      data = TTL (2 bytes, tenths of a second) | context (0..16 bytes)
 *   PONG      data = the PING's context
 * </pre>
 *
 * <p>Threading: stateless; {@link FrameHeader} instances belong to one thread.
 */
public final class Zmtp {

    /** Bytes of a ZMTP 3.x greeting. */
    public static final int GREETING_BYTES = 64;
    public static final int FLAG_MORE = 1;
    public static final int FLAG_LONG = 2;
    public static final int FLAG_COMMAND = 4;
    /** Longest frame header: flags and an 8-byte size. */
    public static final int MAX_HEADER_BYTES = 9;
    /** Most bytes a PING context may hold (RFC 37). */
    public static final int MAX_PING_CONTEXT = 16;

    private static final byte[] NULL_MECHANISM = ascii("NULL");
    private static final byte[] READY = ascii("READY");
    private static final byte[] PING = ascii("PING");
    private static final byte[] PONG = ascii("PONG");
    private static final byte[] ERROR = ascii("ERROR");
    private static final byte[] SOCKET_TYPE = ascii("Socket-Type");
    private static final byte[] IDENTITY = ascii("Identity");

    private Zmtp() {
    }

    // ---- greeting ----------------------------------------------------------------------------

    /** Writes a ZMTP 3.1 NULL-mechanism greeting at {@code dst[off]}; returns its length (64). */
    public static int greeting(byte[] dst, int off, boolean asServer) {
        java.util.Arrays.fill(dst, off, off + GREETING_BYTES, (byte) 0);
        dst[off] = (byte) 0xff;
        dst[off + 9] = 0x7f;
        dst[off + 10] = 3;
        dst[off + 11] = 1;
        System.arraycopy(NULL_MECHANISM, 0, dst, off + 12, NULL_MECHANISM.length);
        dst[off + 32] = (byte) (asServer ? 1 : 0);
        return GREETING_BYTES;
    }

    /**
     * Judges the first {@code n} bytes of a peer's greeting (any {@code n}, so that a bad peer is
     * refused as soon as its bytes say so). Returns null while they are acceptable (the greeting is
     * whole once {@code n >= 64}), else why the peer is refused: not ZMTP 3 (a ZMTP 1.0 peer, whose
     * first byte is a length, a ZMTP 2.0 peer, version below 3) or another mechanism than NULL.
     */
    public static String greetingError(byte[] b, int off, int n) {
        if (n >= 1 && (b[off] & 0xff) != 0xff) {
            return "not a ZMTP 3 greeting: first byte 0x" + hex(b[off]) + ", expected 0xff";
        }
        if (n >= 10 && (b[off + 9] & 1) == 0) {
            return "not a ZMTP 3 greeting: tenth byte 0x" + hex(b[off + 9]) + " (a ZMTP 1.0 peer)";
        }
        if (n >= 11 && (b[off + 10] & 0xff) < 3) {
            return "ZMTP version " + (b[off + 10] & 0xff) + " is not supported, 3 or newer is needed";
        }
        if (n >= 32) {
            int len = 0;
            while (len < 20 && b[off + 12 + len] != 0) {
                len++;
            }
            for (int i = len; i < 20; i++) {
                if (b[off + 12 + i] != 0) {
                    len = -1;
                    break;
                }
            }
            if (len != NULL_MECHANISM.length || !java.util.Arrays.equals(b, off + 12, off + 12 + len, NULL_MECHANISM,
                    0, len)) {
                return "security mechanism " + printable(b, off + 12, 20) + " is not supported, only NULL";
            }
        }
        return null;
    }

    // ---- frames ------------------------------------------------------------------------------

    /** Writes a frame header (flags plus size, LONG when it needs 8 bytes); returns its length. */
    public static int frameHeader(byte[] dst, int off, int flags, long size) {
        if (size < 0) {
            throw new IllegalArgumentException("negative frame size " + size);
        }
        if (size <= 255) {
            dst[off] = (byte) (flags & ~FLAG_LONG);
            dst[off + 1] = (byte) size;
            return 2;
        }
        dst[off] = (byte) (flags | FLAG_LONG);
        for (int i = 0; i < 8; i++) {
            dst[off + 1 + i] = (byte) (size >>> (56 - 8 * i));
        }
        return 9;
    }

    /** Length of the header {@link #frameHeader} writes for a frame of {@code size} bytes. */
    public static int headerBytes(long size) {
        return size <= 255 ? 2 : 9;
    }

    /** A frame header being read: flags, size and the header's own length. Reused, one thread. */
    public static final class FrameHeader {
        private int flags;
        private long size;
        private int length;

        /**
         * Reads the header at {@code b[off, off + n)}; false when not all of it is there yet.
         *
         * @throws ZmtpException for reserved flag bits set, or an 8-byte size with the top bit set
         */
        public boolean read(byte[] b, int off, int n) {
            if (n < 2) {
                return false;
            }
            int f = b[off] & 0xff;
            if ((f & ~(FLAG_MORE | FLAG_LONG | FLAG_COMMAND)) != 0) {
                throw new ZmtpException("frame flags 0x" + Integer.toHexString(f) + " set reserved bits");
            }
            if ((f & FLAG_LONG) == 0) {
                flags = f;
                size = b[off + 1] & 0xff;
                length = 2;
                return true;
            }
            if (n < 9) {
                return false;
            }
            long s = 0;
            for (int i = 1; i <= 8; i++) {
                s = s << 8 | (b[off + i] & 0xff);
            }
            if (s < 0) {
                throw new ZmtpException("frame size " + Long.toUnsignedString(s) + " is out of range");
            }
            flags = f;
            size = s;
            length = 9;
            return true;
        }

        public int flags() {
            return flags;
        }

        public long size() {
            return size;
        }

        /** Bytes of the header itself (2 or 9). */
        public int length() {
            return length;
        }

        public boolean more() {
            return (flags & FLAG_MORE) != 0;
        }

        public boolean command() {
            return (flags & FLAG_COMMAND) != 0;
        }
    }

    // ---- commands ----------------------------------------------------------------------------

    /** Whether the command body {@code b[off, off + len)} is named {@code READY}. */
    public static boolean isReady(byte[] b, int off, int len) {
        return named(b, off, len, READY);
    }

    public static boolean isPing(byte[] b, int off, int len) {
        return named(b, off, len, PING);
    }

    public static boolean isPong(byte[] b, int off, int len) {
        return named(b, off, len, PONG);
    }

    public static boolean isError(byte[] b, int off, int len) {
        return named(b, off, len, ERROR);
    }

    private static boolean named(byte[] b, int off, int len, byte[] name) {
        return len >= 1 + name.length && (b[off] & 0xff) == name.length
                && java.util.Arrays.equals(b, off + 1, off + 1 + name.length, name, 0, name.length);
    }

    /**
     * Writes a READY command frame with {@code Socket-Type} and, when not null, {@code Identity};
     * returns its length.
     */
    public static int ready(byte[] dst, int off, String socketType, byte[] identity) {
        byte[] type = ascii(socketType);
        int body = 1 + READY.length + property(SOCKET_TYPE, type.length)
                + (identity == null ? 0 : property(IDENTITY, identity.length));
        int p = off + frameHeader(dst, off, FLAG_COMMAND, body);
        dst[p++] = (byte) READY.length;
        System.arraycopy(READY, 0, dst, p, READY.length);
        p += READY.length;
        p = property(dst, p, SOCKET_TYPE, type);
        if (identity != null) {
            p = property(dst, p, IDENTITY, identity);
        }
        return p - off;
    }

    /** Most bytes {@link #ready} writes for an identity of {@code identityBytes}. */
    public static int readyBytes(int identityBytes) {
        return MAX_HEADER_BYTES + 1 + READY.length + property(SOCKET_TYPE, 16) + property(IDENTITY, identityBytes);
    }

    private static int property(byte[] name, int valueLength) {
        return 1 + name.length + 4 + valueLength;
    }

    private static int property(byte[] dst, int p, byte[] name, byte[] value) {
        dst[p++] = (byte) name.length;
        System.arraycopy(name, 0, dst, p, name.length);
        p += name.length;
        int v = value.length;
        dst[p++] = (byte) (v >>> 24);
        dst[p++] = (byte) (v >>> 16);
        dst[p++] = (byte) (v >>> 8);
        dst[p++] = (byte) v;
        System.arraycopy(value, 0, dst, p, v);
        return p + v;
    }

    /**
     * The {@code Socket-Type} of a READY command body {@code b[off, off + len)}, upper case, or null
     * when it has none.
     *
     * @throws ZmtpException when the body is not a well-formed READY command
     */
    public static String readySocketType(byte[] b, int off, int len) {
        if (!isReady(b, off, len)) {
            throw new ZmtpException("expected a READY command");
        }
        int p = off + 1 + READY.length;
        int end = off + len;
        String type = null;
        while (p < end) {
            int nameLen = b[p++] & 0xff;
            if (nameLen == 0 || p + nameLen + 4 > end) {
                throw new ZmtpException("READY: malformed property at byte " + (p - 1 - off));
            }
            int nameAt = p;
            p += nameLen;
            long valueLen = (long) (b[p] & 0xff) << 24 | (b[p + 1] & 0xff) << 16 | (b[p + 2] & 0xff) << 8
                    | (b[p + 3] & 0xff);
            p += 4;
            if (p + valueLen > end) {
                throw new ZmtpException("READY: property value runs past the command");
            }
            if (nameLen == SOCKET_TYPE.length && new String(b, nameAt, nameLen, StandardCharsets.US_ASCII)
                    .equalsIgnoreCase("Socket-Type")) {
                type = new String(b, p, (int) valueLen, StandardCharsets.US_ASCII).toUpperCase(Locale.ROOT);
            }
            p += (int) valueLen;
        }
        return type;
    }

    /**
     * Writes the PONG that answers the PING command body {@code ping[off, off + len)} (its
     * context echoed, at most 16 bytes); returns the frame's length.
     */
    public static int pong(byte[] dst, int dstOff, byte[] ping, int off, int len) {
        int context = Math.max(0, Math.min(MAX_PING_CONTEXT, len - 1 - PING.length - 2));
        int p = dstOff + frameHeader(dst, dstOff, FLAG_COMMAND, 1 + PONG.length + context);
        dst[p++] = (byte) PONG.length;
        System.arraycopy(PONG, 0, dst, p, PONG.length);
        p += PONG.length;
        System.arraycopy(ping, off + 1 + PING.length + 2, dst, p, context);
        return p + context - dstOff;
    }

    /** Writes a PING command (TTL 0: no timeout asked of the peer) with {@code context}; returns its length. */
    public static int ping(byte[] dst, int off, byte[] context, int contextLen) {
        int p = off + frameHeader(dst, off, FLAG_COMMAND, 1 + PING.length + 2 + contextLen);
        dst[p++] = (byte) PING.length;
        System.arraycopy(PING, 0, dst, p, PING.length);
        p += PING.length;
        dst[p++] = 0;
        dst[p++] = 0;
        System.arraycopy(context, 0, dst, p, contextLen);
        return p + contextLen - off;
    }

    // ---- helpers -----------------------------------------------------------------------------

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static String hex(byte b) {
        return String.format("%02x", b & 0xff);
    }

    private static String printable(byte[] b, int off, int len) {
        StringBuilder s = new StringBuilder("\"");
        for (int i = off; i < off + len && b[i] != 0; i++) {
            int c = b[i] & 0xff;
            s.append(c >= 0x20 && c < 0x7f ? (char) c : '.');
        }
        return s.append('"').toString();
    }
}
